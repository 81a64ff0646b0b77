#include "provisioner/http/connection.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

namespace prov::http {

Connection::Connection(std::unique_ptr<Transport> transport, std::string peer_ip, Fetcher& fetcher,
                       const ConnectionLimits& limits, int64_t now_us, bool over_limit)
    : transport_(std::move(transport)), peer_ip_(std::move(peer_ip)), fetcher_(fetcher), limits_(limits),
      over_limit_(over_limit) {
    deadline_ = now_us + (transport_->protocol() == Protocol::kHttps ? limits_.handshake_us : limits_.request_us);
}

Connection::~Connection() { closeFile(); }

void Connection::drive(int64_t now_us, const std::string& date_line) {
    now_ = now_us;
    date_line_ = &date_line;
    again_ = false;
    drained_ = false;  // woken: the socket may have something
    int reads = 0;
    for (;;) {
        switch (phase_) {
            case Phase::kHandshake:
                if (!handshake()) return;
                break;
            case Phase::kHead:
            case Phase::kBody:
                if (takeRequest()) break;
                // Nothing complete is buffered: answers go out before waiting.
                if (!out_.empty()) {
                    resume_ = phase_;
                    phase_ = Phase::kWrite;
                    break;
                }
                if (peer_eof_) {
                    finish();  // the phone shut its side and nothing complete is left
                    break;
                }
                if (!readMore(reads)) return;
                break;
            case Phase::kWrite:
                if (!flush()) return;
                break;
            case Phase::kLinger:
                drain();
                return;
            case Phase::kClosed:
                return;
        }
    }
}

void Connection::close() {
    phase_ = Phase::kClosed;
    closeFile();
    transport_->release();
}

bool Connection::handshake() {
    const Io io = transport_->handshake();
    if (io.status == IoStatus::kDone) {
        phase_ = Phase::kHead;
        deadline_ = now_ + limits_.request_us;
        return true;
    }
    if (io.status == IoStatus::kWantRead || io.status == IoStatus::kWantWrite) {
        wait_ = io.status == IoStatus::kWantRead ? Wait::kRead : Wait::kWrite;
        return false;  // within the handshake deadline set at accept
    }
    handshake_failure_ = transport_->failure();
    close();
    return false;
}

// One step on what is buffered: true when it moved (an answer queued, a
// head taken, a phase changed), false when more bytes are needed.
bool Connection::takeRequest() { return phase_ == Phase::kHead ? takeHead() : takeBody(); }

bool Connection::takeHead() {
    if (in_.empty()) return false;
    head_ = RequestHead{};  // a refusal must not answer with the previous request's method or version
    const HeadResult r = parseHead(in_, limits_.max_head_bytes, head_);
    if (r == HeadResult::kIncomplete) return false;
    if (r != HeadResult::kComplete) {
        in_.clear();
        queue(headRefusal(r, head_), -1);
        return true;
    }
    in_.erase(0, head_.size);
    keep_alive_ = wantsKeepAlive(head_);
    if (over_limit_) {
        in_.clear();
        queue(overloaded(head_), -1);
        return true;
    }
    page_ = transport_->protocol() == Protocol::kHttps && fetcher_.isPage(head_.target);
    if (page_) {
        if (head_.method != "GET" && head_.method != "HEAD" && head_.method != "POST") {
            queue(refusal(Outcome::kMethodNotAllowed, head_, true, "Allow: GET, HEAD, POST\r\n"), -1);
            return true;
        }
        // A page's form posts nothing but its button: a small body at most.
        const bool with_body = head_.chunked || head_.content_length.value_or(0) > 0;
        if (!with_body) {
            answerPage();
            return true;
        }
        if (head_.chunked || *head_.content_length > 4096) {
            in_.clear();
            queue(refusal(Outcome::kTooLarge, head_, true), -1);
            return true;
        }
        phase_ = Phase::kBody;
        body_.clear();
        chunk_used_ = 0;
        return true;
    }
    if (!isPhoneMethod(head_.method)) {
        queue(refusal(Outcome::kMethodNotAllowed, head_, true, "Allow: GET, HEAD, PUT\r\n"), -1);
        return true;
    }
    const bool has_body = head_.chunked || head_.content_length.value_or(0) > 0;
    if (head_.method != "PUT") {
        // A fetch carries no body; one that does would be read as the next
        // request (request smuggling): refuse and close.
        if (has_body) {
            in_.clear();
            queue(refusal(Outcome::kBadRequest, head_, true), -1);
            return true;
        }
        answer("");
        return true;
    }
    if (head_.content_length && *head_.content_length > limits_.max_upload_bytes) {
        in_.clear();  // the body is never read
        queue(refusal(Outcome::kTooLarge, head_, true), -1);
        return true;
    }
    if (head_.expect_continue && has_body) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
    phase_ = Phase::kBody;
    body_.clear();
    chunk_used_ = 0;
    return true;
}

bool Connection::takeBody() {
    if (head_.chunked) {
        const HeadResult r = decodeChunked(in_, limits_.max_upload_bytes, body_, chunk_used_);
        // What is decoded leaves the buffer, so each byte is looked at once.
        in_.erase(0, chunk_used_);
        chunk_used_ = 0;
        if (r == HeadResult::kIncomplete) return false;
        if (r != HeadResult::kComplete) {
            in_.clear();
            phase_ = Phase::kHead;
            queue(refusal(r == HeadResult::kTooLarge ? Outcome::kTooLarge : Outcome::kBadRequest, head_, true), -1);
            return true;
        }
    } else {
        const size_t need = static_cast<size_t>(head_.content_length.value_or(0));
        if (in_.size() < need) return false;
        body_ = in_.substr(0, need);
        in_.erase(0, need);
    }
    phase_ = Phase::kHead;
    answer(std::move(body_));
    body_.clear();
    return true;
}

void Connection::answerPage() {
    Reply reply;
    try {
        reply = pageReply(fetcher_.page(head_.method, head_.target, peer_ip_), head_);
    } catch (const std::exception&) {
        queue(refusal(Outcome::kError, head_, true), -1);
        return;
    }
    queue(reply, -1);
}

void Connection::answer(std::string body) {
    if (page_) {  // the body of a page's POST is not used
        answerPage();
        return;
    }
    const FetchRequest fetch = toFetchRequest(head_, std::move(body), peer_ip_, transport_->protocol(), transport_->peer());
    Reply reply;
    try {
        reply = replyTo(fetcher_.fetch(fetch), head_);
    } catch (const std::exception&) {
        // The pipeline answers with values; should anything throw all the
        // same, this phone gets a 500 and the loop goes on.
        queue(refusal(Outcome::kError, head_, true), -1);
        return;
    }
    int file = -1;
    if (!reply.file_path.empty()) {
        // Opened for HEAD too: a file gone since the pipeline saw it is a 404.
        // Checked against the pipeline's stat: a file replaced since its
        // serve check is a 404 too, never sent in its place.
        file = ::open(reply.file_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (file >= 0 && reply.file_check && !isCheckedFile(file, *reply.file_check)) {
            ::close(file);
            file = -1;
        }
        if (file < 0) {
            reply = refusal(Outcome::kNotFound, head_, false);
        } else if (!reply.stream_file) {
            ::close(file);
            file = -1;
        }
    }
    queue(reply, file);
}

// The reply's head and body go on the output; its file (open at `file_fd`)
// follows them.
void Connection::queue(const Reply& reply, int file_fd) {
    ++requests_;
    last_status_ = reply.status;
    request_deadline_ = 0;
    idle_deadline_ = 0;
    if (reply.closes || requests_ >= limits_.max_requests) keep_alive_ = false;
    out_ += formatHead(reply, head_.minor, keep_alive_, *date_line_);
    out_ += reply.body;
    if (file_fd >= 0) {
        file_fd_ = file_fd;
        file_off_ = 0;
        file_left_ = static_cast<size_t>(reply.length);
    }
    if (!keep_alive_) close_after_ = true;
    // A file, the last answer, or a full queue: write before taking more.
    if (file_fd_ >= 0 || close_after_ || out_.size() >= limits_.max_queued) {
        resume_ = phase_ == Phase::kBody ? Phase::kBody : Phase::kHead;
        phase_ = Phase::kWrite;
    }
}

bool Connection::readMore(int& reads) {
    // Up to 256 KiB per turn, so one busy phone cannot hold the loop.
    if (reads >= 4) {
        waitFor(Wait::kRead);  // the request's deadline runs from its first byte meanwhile
        again_ = true;
        return false;
    }
    if (drained_) {
        waitFor(Wait::kRead);
        return false;
    }
    char buf[65536];
    const Io io = transport_->read(buf, sizeof buf);
    ++reads;
    switch (io.status) {
        case IoStatus::kDone:
            in_.append(buf, io.bytes);
            drained_ = io.drained;
            return true;
        case IoStatus::kWantRead:
        case IoStatus::kWantWrite:
            waitFor(io.status == IoStatus::kWantRead ? Wait::kRead : Wait::kWrite);
            return false;
        case IoStatus::kEnd:
            // Requests sent before the phone shut its side are answered.
            if (in_.empty()) {
                close();
                return false;
            }
            peer_eof_ = true;
            return true;
        case IoStatus::kFailed:
            close();
            return false;
    }
    return false;
}

}  // namespace prov::http
