// provisioner user: the portal's users from the command line, for the admin
// at the server (the first admin, before anyone can sign in). The same rules
// as /api/v1/users (inventory/users.cpp), audited as done by "cli".
// A password is read from --password-file or stdin, never from the command
// line (where `ps` and shell history would show it); on a terminal it is
// asked twice without echo. The last enabled admin is disabled or deleted
// only with --force: the API refuses it, but this is the host's root.

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/core/private_file.h"
#include "provisioner/core/time_format.h"

namespace prov::app {

namespace {

const Actor kCli{"cli", Role::kAdmin};

int userFail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

std::string describe(const Error& e) {
    std::string why = e.message;
    for (const auto& [field, problem] : e.fields) why += "; " + field + " " + problem;
    return why;
}

int failed(const Error& e) {
    const std::string hint = e.reason == "last_admin" ? "; --force does it anyway" : "";
    return userFail(describe(e) + hint, e.code == Code::kInvalidArgument ? kExitUsage : 1);
}

LastAdmin lastAdmin(const Invocation& in) { return in.has("force") ? LastAdmin::kMayRemove : LastAdmin::kKeep; }

std::string firstLine(std::istream& in) {
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// One line from the terminal with echo off (restored even if reading fails).
std::string askHidden(const char* prompt) {
    std::cerr << prompt << std::flush;
    termios old{};
    const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line = firstLine(std::cin);
    if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << "\n";
    return line;
}

Result<std::string> readPassword(const Invocation& in) {
    if (in.has("password-file")) return readSecretLine(in.flag("password-file"), "--password-file");
    if (!isatty(STDIN_FILENO)) return firstLine(std::cin);
    std::string first = askHidden("password: ");
    if (askHidden("again: ") != first) return Error::invalid("the two passwords differ");
    return first;
}

int add(const Invocation& in, const std::string& name) {
    if (!in.has("role")) return userFail("user add needs --role ROLE (admin, installer or viewer)", kExitUsage);
    auto role = parseRole(in.flag("role"));
    if (!role) return userFail("--role must be admin, installer or viewer (got '" + in.flag("role") + "')", kExitUsage);
    auto password = readPassword(in);
    if (!password) return failed(password.error());
    auto s = in.open(Migrate::kYes);
    if (!s) return userFail(s.error().message, exitCodeFor(s.error()));
    auto made = s.value()->inventory->createUser(UserSpec{name, *role, password.value()}, kCli);
    if (!made) return failed(made.error());
    std::cout << "user " << made.value().name << " (" << toString(made.value().role) << ") added\n";
    return 0;
}

int list(const Invocation& in) {
    auto s = in.open(Migrate::kNo);
    if (!s) return userFail(s.error().message, exitCodeFor(s.error()));
    auto users = s.value()->inventory->listUsers();
    if (!users) return userFail(users.error().message);
    std::cout << std::left << std::setw(24) << "NAME" << std::setw(11) << "ROLE" << std::setw(10) << "STATE"
              << std::setw(22) << "CREATED" << "LAST SIGN-IN\n";
    for (const PortalUser& u : users.value()) {
        std::cout << std::left << std::setw(24) << u.name << std::setw(11) << toString(u.role) << std::setw(10)
                  << (u.disabled ? "disabled" : "active") << std::setw(22) << formatUtc(u.created_at)
                  << (u.last_sign_in_at ? formatUtc(u.last_sign_in_at) : "never") << "\n";
    }
    return 0;
}

int change(const Invocation& in, const std::string& verb, const std::string& name) {
    UserChange c;
    if (verb == "passwd") {
        auto password = readPassword(in);
        if (!password) return failed(password.error());
        c.password = password.value();
    } else {
        c.disabled = verb == "disable";
    }
    auto s = in.open(Migrate::kNo);
    if (!s) return userFail(s.error().message, exitCodeFor(s.error()));
    auto changed = s.value()->inventory->changeUser(name, c, kCli, lastAdmin(in));
    if (!changed) return failed(changed.error());
    const char* what = verb == "passwd" ? "has a new password" : verb == "disable" ? "disabled" : "enabled";
    std::cout << "user " << name << " " << what << (verb == "enable" ? "\n" : "; its sessions ended\n");
    return 0;
}

int remove(const Invocation& in, const std::string& name) {
    auto s = in.open(Migrate::kNo);
    if (!s) return userFail(s.error().message, exitCodeFor(s.error()));
    if (auto st = s.value()->inventory->deleteUser(name, kCli, lastAdmin(in)); !st) return failed(st.error());
    std::cout << "user " << name << " deleted\n";
    return 0;
}

int unthrottle(const Invocation& in, const std::string& name_or_ip) {
    auto s = in.open(Migrate::kNo);
    if (!s) return userFail(s.error().message, exitCodeFor(s.error()));
    auto cleared = s.value()->inventory->unthrottle(name_or_ip, kCli);
    if (!cleared) return failed(cleared.error());
    std::cout << (cleared.value() ? "sign-in throttle cleared for " : "no sign-in throttle for ") << name_or_ip
              << "\n";
    return 0;
}

}  // namespace

int runUser(const Invocation& in) {
    const auto& words = in.line.words;
    const std::string verb = words.size() >= 2 ? words[1] : "";
    const std::string name = words.size() == 3 ? words[2] : "";
    const bool role = in.has("role");
    const bool file = in.has("password-file");
    const bool force = in.has("force");
    if (verb == "add" && !name.empty() && !force) return add(in, name);
    if (verb == "list" && words.size() == 2 && !role && !file && !force) return list(in);
    if ((verb == "passwd") && !name.empty() && !role && !force) return change(in, verb, name);
    if (verb == "disable" && !name.empty() && !role && !file) return change(in, verb, name);
    if (verb == "enable" && !name.empty() && !role && !file && !force) return change(in, verb, name);
    if (verb == "delete" && !name.empty() && !role && !file) return remove(in, name);
    if (verb == "unthrottle" && !name.empty() && !role && !file && !force) return unthrottle(in, name);
    return userFail("usage: provisioner " + usageLine(in.command), kExitUsage);
}

}  // namespace prov::app
