#pragma once

// The service manager's notification protocol (sd_notify(3)), spoken
// directly: one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
// systemd's Type=notify units wait for READY=1 before they count as started,
// and with WatchdogSec= restart a service that stops sending WATCHDOG=1.
// Without $NOTIFY_SOCKET (a server started by hand, by a test, by another
// supervisor) every call does nothing and succeeds.
//
//   ServiceNotifier notifier = ServiceNotifier::fromEnvironment();  // before any thread
//   ...bind every port...
//   notifier.notify("READY=1");
//   every second: if (notifier.watchdogMicros()) notifier.notify("WATCHDOG=1");

#include <cstdint>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::app {

class ServiceNotifier {
  public:
    // Notifies nobody.
    ServiceNotifier() = default;
    // Notifies `socket`; `watchdog_usec` > 0 when the manager expects a
    // WATCHDOG=1 at least that often.
    ServiceNotifier(std::string socket, int64_t watchdog_usec);

    // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog
    // applies to this process only when WATCHDOG_PID is unset or is its
    // pid), then removes the three from the environment so that programs
    // the server starts (the resync hook) cannot speak for it. Changes the
    // environment: call it before any thread starts.
    static ServiceNotifier fromEnvironment();

    bool enabled() const { return !socket_.empty(); }

    // WATCHDOG_USEC: how often the manager expects WATCHDOG=1 at the least;
    // 0 when it expects none.
    int64_t watchdogMicros() const { return watchdog_usec_; }

    // Sends `state` as one datagram. An error is one line saying why (no
    // listener on the socket, a name that is neither a path nor '@name').
    Status notify(std::string_view state) const;

  private:
    std::string socket_;
    int64_t watchdog_usec_ = 0;
};

// "RELOADING=1" with the CLOCK_MONOTONIC time systemd 253 and later ask
// of a reload (Type=notify-reload); earlier versions ignore the second line.
std::string reloadingState();

}  // namespace prov::app
