// The output side of a phone's connection: writing queued answers and
// files, the lingering close, and what each phase waits for until when.

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "provisioner/http/connection.h"

namespace prov::http {

bool Connection::flush() {
    while (out_off_ < out_.size()) {
        const Io io = transport_->write(out_.data() + out_off_, out_.size() - out_off_);
        if (io.status == IoStatus::kDone) {
            out_off_ += io.bytes;
            continue;
        }
        if (io.status == IoStatus::kFailed) {
            close();
            return false;
        }
        waitFor(io.status == IoStatus::kWantRead ? Wait::kRead : Wait::kWrite);
        return false;
    }
    out_.clear();
    out_off_ = 0;
    while (file_left_ > 0) {
        const Io io = transport_->sendFile(file_fd_, file_off_, file_left_);
        if (io.status == IoStatus::kDone) {
            file_left_ -= io.bytes;
            continue;
        }
        if (io.status == IoStatus::kFailed) {
            close();  // the file shrank, or the phone went away
            return false;
        }
        waitFor(io.status == IoStatus::kWantRead ? Wait::kRead : Wait::kWrite);
        return false;
    }
    closeFile();
    if (close_after_) {
        finish();
        return true;
    }
    phase_ = resume_;
    return true;
}

// The last answer is out: close, but first let the phone's unread input
// drain (up to linger_us), so the close is a FIN and not a reset that could
// destroy the answer before the phone reads it. A phone that had its answer
// to a complete request has nothing unread: only refusals linger.
void Connection::finish() {
    transport_->closeNotify();
    if (peer_eof_ || (in_.empty() && last_status_ < 400)) {
        close();
        return;
    }
    transport_->release();  // the linger reads the raw socket: no TLS state kept for it
    ::shutdown(fd(), SHUT_WR);
    in_.clear();
    phase_ = Phase::kLinger;
    waitFor(Wait::kRead);
}

void Connection::drain() {
    char buf[16384];
    for (int i = 0; i < 16; ++i) {
        const ssize_t n = ::recv(fd(), buf, sizeof buf, 0);
        if (n > 0) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        break;  // the phone closed too (or the socket broke)
    }
    close();
}

// Waiting: for what, and until when.
void Connection::waitFor(Wait wait) {
    wait_ = wait;
    switch (phase_) {
        case Phase::kHead:
            if (in_.empty()) {
                // Idle between requests: the short keep-alive timeout (the
                // first request gets the whole request time), from when it
                // fell idle: a TLS peer dribbling a record that never
                // completes wakes the connection without making it busy.
                // An upload's megabyte is not kept for an idle connection.
                request_deadline_ = 0;
                if (in_.capacity() > 65536) std::string().swap(in_);
                if (out_.capacity() > 65536) std::string().swap(out_);
                if (body_.capacity() > 65536) std::string().swap(body_);
                if (!idle_deadline_) idle_deadline_ = now_ + (requests_ ? limits_.keep_alive_us : limits_.request_us);
                deadline_ = idle_deadline_;
                return;
            }
            [[fallthrough]];
        case Phase::kBody:
            // A request gets request_us from its first byte, however slowly
            // the rest trickles in.
            if (!request_deadline_) request_deadline_ = now_ + limits_.request_us;
            deadline_ = request_deadline_;
            return;
        case Phase::kWrite:
            deadline_ = now_ + limits_.request_us;  // progress resets the clock
            return;
        case Phase::kLinger:
            deadline_ = now_ + limits_.linger_us;
            return;
        case Phase::kHandshake:
        case Phase::kClosed:
            return;
    }
}

void Connection::closeFile() {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
    file_left_ = 0;
}

}  // namespace prov::http
