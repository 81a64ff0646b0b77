// The exec hook: parsed once, substituted per push, spawned without a shell.

#include "provisioner/resync/hook.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>


namespace prov::resync {

namespace {

constexpr std::string_view kPrefix = "exec:";

bool isControl(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

// "{name}" at `at` in `word` when name is a placeholder: its length, else 0.
size_t placeholderAt(std::string_view word, size_t at, std::string_view* name = nullptr) {
    if (word[at] != '{') return 0;
    const size_t close = word.find('}', at);
    if (close == std::string_view::npos) return 0;
    const std::string_view whole = word.substr(at, close - at + 1);
    size_t start = 0;
    while (start < kHookPlaceholders.size()) {
        size_t end = kHookPlaceholders.find(' ', start);
        if (end == std::string_view::npos) end = kHookPlaceholders.size();
        if (kHookPlaceholders.substr(start, end - start) == whole) {
            if (name) *name = whole.substr(1, whole.size() - 2);
            return whole.size();
        }
        start = end + 1;
    }
    return 0;
}

// A "{lowercase_name}" that is not a placeholder: a typo to refuse at start,
// not a literal to pass to the PBX at every push.
std::string unknownPlaceholder(std::string_view word) {
    for (size_t at = word.find('{'); at != std::string_view::npos; at = word.find('{', at + 1)) {
        const size_t close = word.find('}', at);
        if (close == std::string_view::npos) break;
        const std::string_view inner = word.substr(at + 1, close - at - 1);
        bool name = !inner.empty();
        for (char c : inner) name = name && ((c >= 'a' && c <= 'z') || c == '_');
        if (name && !placeholderAt(word, at)) return std::string(word.substr(at, close - at + 1));
    }
    return "";
}

Error bad(const std::string& problem) {
    return Error::invalid("config: resync.hook " + problem, {{"resync.hook", problem}});
}

const std::string& valueOf(const HookValues& v, std::string_view name) {
    if (name == "mac") return v.mac;
    if (name == "extension") return v.extension;
    if (name == "ip") return v.ip;
    if (name == "port") return v.port;
    if (name == "transport") return v.transport;
    if (name == "event") return v.event;
    if (name == "vendor") return v.vendor;
    return v.site;
}

}  // namespace

Result<HookCommand> parseHook(std::string_view spec) {
    if (spec.substr(0, kPrefix.size()) != kPrefix) {
        if (spec.substr(0, 7) == "http://" || spec.substr(0, 8) == "https://")
            return bad(
                "is an HTTP hook; only exec: hooks are supported (exec:/path/to/program args)");
        return bad("must start with exec: (exec:/path/to/program args)");
    }
    HookCommand hook;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (char c : spec.substr(kPrefix.size())) {
        if (isControl(c) && c != '\t') return bad("holds a control character");
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else {
                word.push_back(c);
            }
        } else if (c == ' ' || c == '\t') {
            if (in_word) hook.argv.push_back(std::exchange(word, {}));
            in_word = false;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (quote) return bad("has an unterminated quote");
    if (in_word) hook.argv.push_back(std::move(word));
    if (hook.argv.empty()) return bad("names no program");
    if (hook.argv[0].empty() || hook.argv[0][0] != '/')
        return bad("program must be an absolute path (no shell looks it up), got '" + hook.argv[0] +
                   "'");
    for (const std::string& w : hook.argv) {
        if (const std::string unknown = unknownPlaceholder(w); !unknown.empty())
            return bad("has the unknown placeholder " + unknown +
                       "; known: " + std::string(kHookPlaceholders));
    }
    return hook;
}

std::vector<std::string> hookArguments(const HookCommand& hook, const HookValues& values) {
    std::vector<std::string> out;
    out.reserve(hook.argv.size());
    for (const std::string& word : hook.argv) {
        std::string arg;
        // One pass: a value holding "{mac}" is not substituted again.
        for (size_t i = 0; i < word.size();) {
            std::string_view name;
            if (const size_t n = placeholderAt(word, i, &name)) {
                arg += valueOf(values, name);
                i += n;
            } else {
                arg.push_back(word[i++]);
            }
        }
        out.push_back(std::move(arg));
    }
    return out;
}

Result<HookProcess> HookProcess::spawn(const std::vector<std::string>& argv) {
    if (argv.empty()) return Error::invalid("no program to run");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return Error::internal(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    // Nothing else of the server's: a listening socket a hook's leftover
    // daemon kept would hold its port after the server is gone.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The server blocks its signals in every thread (they are waited for):
    // the child must not inherit that mask, nor an ignored SIGPIPE.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2})
        sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // A small environment: where programs are and the locale, not whatever
    // the server was started with.
    std::vector<std::string> env_text;
    for (const char* name : {"PATH", "LANG", "LC_ALL", "TZ", "HOME"}) {
        if (const char* v = ::getenv(name)) env_text.push_back(std::string(name) + "=" + v);
    }
    if (!::getenv("PATH")) env_text.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    std::vector<char*> env;
    for (std::string& e : env_text) env.push_back(e.data());
    env.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return Error::invalid("cannot run " + argv[0] + ": " + std::strerror(rc));
    }
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return HookProcess(pid, fds[0]);
}

HookProcess::HookProcess(HookProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)),
      exited_(o.exited_),
      code_(o.code_),
      output_(std::move(o.output_)) {}

HookProcess& HookProcess::operator=(HookProcess&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0 && !exited_) kill();
        closeOutput();
        pid_ = std::exchange(o.pid_, -1);
        out_fd_ = std::exchange(o.out_fd_, -1);
        exited_ = o.exited_;
        code_ = o.code_;
        output_ = std::move(o.output_);
    }
    return *this;
}

HookProcess::~HookProcess() {
    if (pid_ > 0 && !exited_) kill();
    closeOutput();
}

void HookProcess::closeOutput() {
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
}

void HookProcess::readOutput() {
    if (out_fd_ < 0) return;
    char buf[4096];
    // Bounded: each read empties the pipe a little, and a pipe holds 64 KiB.
    for (int i = 0; i < 64; ++i) {
        const ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n > 0) {
            if (output_.size() < kKeptOutput)
                output_.append(buf, std::min(static_cast<size_t>(n), kKeptOutput - output_.size()));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        closeOutput();  // EOF or a real error: nothing more to read
        return;
    }
}

bool HookProcess::poll() {
    if (exited_) return true;
    if (pid_ <= 0) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r != pid_) return false;
    exited_ = true;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return true;
}

void HookProcess::kill() {
    if (pid_ <= 0 || exited_) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);  // in case it left its group
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exited_ = true;
    code_ = -SIGKILL;
}

std::string HookProcess::output() const {
    std::string out, line;
    auto flush = [&] {
        if (!line.empty()) out += (out.empty() ? "" : " | ") + line;
        line.clear();
    };
    for (char c : output_) {
        if (c == '\n') flush();
        if (!isControl(c)) line.push_back(c);
    }
    flush();
    return out;
}

HookRun hookResult(const HookProcess& p, bool timed_out, int64_t timeout_ms) {
    HookRun run;
    run.started = true;
    run.timed_out = timed_out;
    run.exit_code = p.exitCode();
    if (timed_out) {
        run.detail = "killed after " + std::to_string(timeout_ms) + " ms (resync.hook_timeout)";
    } else if (run.exit_code < 0) {
        run.detail = "ended by signal " + std::to_string(-run.exit_code);
    } else {
        run.detail = "exited " + std::to_string(run.exit_code);
    }
    if (const std::string out = p.output(); !out.empty()) run.detail += ": " + out;
    return run;
}

HookRun runHook(const std::vector<std::string>& argv, int64_t timeout_ms) {
    auto process = HookProcess::spawn(argv);
    if (!process) {
        HookRun run;
        run.detail = process.error().message;
        return run;
    }
    HookProcess& p = process.value();
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    bool timed_out = false;
    // Bounded by the deadline: each pass waits at most 50 ms.
    for (;;) {
        p.readOutput();
        if (p.poll()) break;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            p.kill();
            timed_out = true;
            break;
        }
        pollfd fd{p.outputFd(), POLLIN, 0};
        const int wait = static_cast<int>(std::min<int64_t>(left, 50));
        ::poll(&fd, p.outputFd() >= 0 ? 1 : 0, wait);
    }
    p.readOutput();
    return hookResult(p, timed_out, timeout_ms);
}

}  // namespace prov::resync
