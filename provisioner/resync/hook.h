#pragma once

// The PBX route (resync.hook): a program run once per push, so that the
// phone's registrar sends the NOTIFY (Asterisk `pjsip send notify`,
// FreeSWITCH `sofia profile ... check_sync`). The hook is split into words
// once, when the configuration is read; each push substitutes its values
// into each word and starts the program with posix_spawn, no shell between:
// a value can never become a second command or a second argument.
//
//   auto hook = parseHook("exec:/usr/sbin/asterisk -rx \"pjsip send notify "
//                         "{vendor}-check-sync endpoint {extension}\"");
//   auto argv = hookArguments(hook.value(), values);
//   HookRun run = runHook(argv, 10'000);  // run.ok(): exited 0

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::resync {

struct HookCommand {
    std::vector<std::string> argv;  // argv[0] is an absolute path
};

// The placeholders a hook word may hold.
inline constexpr std::string_view kHookPlaceholders =
    "{mac} {extension} {ip} {port} {transport} {event} {vendor} {site}";

// "exec:/path/prog word 'two words' \"two more\" {mac}". Words are split on
// spaces and tabs; single or double quotes group a word (no escapes within).
// An error names the problem: no "exec:" (http hooks are not supported), a
// program that is not an absolute path, an unterminated quote, a
// placeholder not in kHookPlaceholders, a control character.
Result<HookCommand> parseHook(std::string_view spec);

struct HookValues {
    std::string mac;  // 12 lowercase hex digits
    std::string extension;
    std::string ip;
    std::string port;
    std::string transport;  // udp, tcp, tls, or "" as the PBX reported it
    std::string event;
    std::string vendor;  // vendor-templates folder, e.g. "yealink"
    std::string site;    // the device's label
};

// The words with each placeholder replaced by its value (a word may hold
// several, and text around them).
std::vector<std::string> hookArguments(const HookCommand& hook, const HookValues& values);

// A started hook: its process group, and the read end of its merged
// standard output and error. Driven by a caller's poll loop (the
// dispatcher) or by runHook.
class HookProcess {
  public:
    // Starts argv[0] with argv, standard input /dev/null, signals unblocked
    // and at their defaults, in a process group of its own (a timeout kills
    // what it started too).
    static Result<HookProcess> spawn(const std::vector<std::string>& argv);
    HookProcess(HookProcess&& other) noexcept;
    HookProcess& operator=(HookProcess&& other) noexcept;
    HookProcess(const HookProcess&) = delete;
    HookProcess& operator=(const HookProcess&) = delete;
    ~HookProcess();  // kills and reaps it if still running

    // -1 once the output has ended.
    int outputFd() const { return out_fd_; }
    // Reads what is there without blocking; keeps the first kKeptOutput bytes.
    void readOutput();
    // True, with exitCode(), once it has exited (reaped; never blocks).
    bool poll();
    // SIGKILL to its process group, then reaps it.
    void kill();
    bool exited() const { return exited_; }
    // The exit status, or -signal when a signal ended it.
    int exitCode() const { return code_; }
    // The start of its output, one line, control bytes dropped.
    std::string output() const;

    static constexpr size_t kKeptOutput = 512;

  private:
    HookProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
    void closeOutput();

    pid_t pid_ = -1;
    int out_fd_ = -1;
    bool exited_ = false;
    int code_ = 0;
    std::string output_;
};

struct HookRun {
    bool started = false;
    bool timed_out = false;
    int exit_code = 0;   // -signal when a signal ended it
    std::string detail;  // why it failed, with the start of its output
    bool ok() const { return started && !timed_out && exit_code == 0; }
};

// Runs argv to its end, or kills it after timeout_ms. Blocks.
HookRun runHook(const std::vector<std::string>& argv, int64_t timeout_ms);
// The outcome of a finished (or killed: timed_out) process, as runHook says it.
HookRun hookResult(const HookProcess& process, bool timed_out, int64_t timeout_ms);

}  // namespace prov::resync
