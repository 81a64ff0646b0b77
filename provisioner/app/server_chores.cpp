// What `serve` does while it waits (Server::wait): the once-a-second chores
// and the SIGHUP reload.

#include "provisioner/app/fleet_certificate.h"
#include "provisioner/app/folder_signature.h"
#include "provisioner/app/server.h"

namespace prov::app {

namespace {

// Events are pruned a few thousand rows a second, so the event writer is
// never held up for long.
constexpr int64_t kPruneChunk = 5000;
constexpr int64_t kPruneEverySeconds = 3600;
// Leadership is tried (or proved) this often: a leader that stops is
// replaced within about this long.
constexpr int64_t kLeadEverySeconds = 2;
// The MAC-sweep budgets of the nodes are merged this often (SweepMerge).
constexpr int64_t kMergeSweepEverySeconds = 5;
// This node's server.crt is compared with the fleet's this often.
constexpr int64_t kCertificateEverySeconds = 60;

}  // namespace

void Server::everySecond() {
    ++ticks_;
    services_->security_log->flush();  // the counts of refusals not written
    trimMemory();
    refreshTickets();
    pollStoreGeneration();
    if (ticks_ % kLeadEverySeconds == 0) lead();
    services_->firmware->poll();
    if (ticks_ % kMergeSweepEverySeconds == 0) mergeSweep();
    if (services_->postgres && ticks_ % kCertificateEverySeconds == 0) checkCertificate(std::nullopt);
    // The fleet's chores: the leader's alone (resync pushes and rollouts
    // look at Store::leads themselves). A pruning a leader left half done is
    // taken up by the next one, whose prune_pending_ is set from its start.
    const bool leads = services_->store->leads();
    if (config_.events_keep_days > 0 && ticks_ % kPruneEverySeconds == 0) prune_pending_ = true;
    if (prune_pending_ && leads) pruneEvents();
    // Wipes past their grace period or expiry hold old credentials: not kept
    // on disk longer than an hour after.
    if (leads && ticks_ % kPruneEverySeconds == 0) {
        if (auto n = services_->inventory->purgeWipes(); !n) log_.error("cannot drop old wipes: %s", n.error().message);
    }
    if (config_.templates_poll_seconds > 0 && ticks_ % config_.templates_poll_seconds == 0) {
        if (templateSignature() != template_signature_) reloadTemplates();
    }
}

// After a flood of connections has gone, malloc keeps what they freed (a
// TLS connection's record buffers among it) unless asked to give it back:
// asked once the count has dropped by a lot, not on every close.
void Server::trimMemory() {
    int64_t open = 0;
    if (http_) open += http_->connections();
    if (https_) open += https_->connections();
    if (!trim_.observe(open)) return;
    releaseFreeMemory();
    log_.debug("freed memory returned to the system (%Ld phone connections open)", open);
}

// The session-ticket keys reach the store only when a period begins (the
// next one's is loaded a period ahead); while the store cannot be reached,
// phones resume with the keys already loaded, and say so once.
void Server::refreshTickets() {
    if (!tickets_) return;
    // After a failure, tried again every kTicketRetrySeconds, not every
    // second: a store that is busy or away costs each try up to its busy
    // timeout, on the loop that also feeds the watchdog.
    if (tickets_failing_ && ticks_ - tickets_failed_at_ < kTicketRetrySeconds) return;
    const Status st = tickets_->refresh();
    if (!st) tickets_failed_at_ = ticks_;
    if (!st && !tickets_failing_) log_.warning("%s", st.error().message);
    if (st && tickets_failing_) log_.notice("session tickets: keys loaded");
    tickets_failing_ = !st;
}

// Several nodes on one store: one leads (Store::tryLead), and says so when
// that changes; a store one server holds always leads, and says nothing.
void Server::lead() {
    const auto leads = services_->store->tryLead();
    if (!leads) {
        if (!lead_failing_) log_.warning("fleet: cannot try for the lead: %s", leads.error().message);
        lead_failing_ = true;
    } else {
        lead_failing_ = false;
    }
    const bool now = leads && leads.value();
    if (now == leading_) return;
    leading_ = now;
    if (!services_->postgres) return;
    if (now) {
        log_.notice("fleet: this node leads (event pruning, resync pushes, rollouts)");
        if (services_->resync) services_->resync->wake();
    } else {
        log_.notice("fleet: this node no longer leads");
    }
}

// Blocks other nodes' spending starts here are logged as this node's own
// are (docs/security-log.md): fail2ban on each node sees the same line.
void Server::mergeSweep() {
    auto blocks = services_->sweep_merge->run();
    if (!blocks) {
        if (!merge_failing_) log_.warning("sweep budgets: cannot merge with the other nodes: %s",
                                          blocks.error().message);
        merge_failing_ = true;
        return;
    }
    merge_failing_ = false;
    for (const policy::Block& b : blocks.value())
        services_->security_log->write(LogPriority::kWarning, policy::SweepGuard::blockEvent(b));
}

// Said when this node's certificate starts or stops differing from the
// fleet's, not every minute in between (fleet_certificate.h).
void Server::checkCertificate(const std::optional<std::string>& loaded_before) {
    auto check = checkFleetCertificate(*services_->store, services_->hasher, config_.certs_dir, loaded_before);
    if (!check) {
        log_.warning("tls: cannot compare the server certificate with the fleet's: %s", check.error().message);
        return;
    }
    const CertificateCheck& c = check.value();
    if (c.adopted) log_.notice("tls: this node's server certificate (SHA-256 %s) is now the fleet's", c.ours);
    if (c.differs() && !certificate_differs_)
        log_.warning("tls: this node's server certificate (SHA-256 %s of %s/server.crt) is not the fleet's (%s): "
                     "phones trust one certificate; give every node the same server.crt and server.key (a node "
                     "reloaded (SIGHUP) after its server.crt was replaced makes the new one the fleet's)",
                     c.ours, config_.certs_dir, c.registered);
    if (!c.differs() && certificate_differs_) log_.notice("tls: this node's server certificate is the fleet's again");
    certificate_differs_ = c.differs();
}

// Configuration changed by another process (the CLI) moves the store's
// counter; the renders cached here are then stale.
void Server::pollStoreGeneration() { services_->generation->refresh(); }

void Server::pruneEvents() {
    auto n = services_->inventory->pruneEvents(config_.events_keep_days, kPruneChunk);
    if (!n) {
        log_.error("cannot prune events: %s", n.error().message);
        prune_pending_ = false;
        return;
    }
    pruned_ += n.value();
    if (n.value() >= kPruneChunk) return;  // more next second
    prune_pending_ = false;
    if (pruned_)
        log_.information("pruned %Ld events older than %Ld days", pruned_,
                         config_.events_keep_days);
    pruned_ = 0;
}

// Both folders: an override added, changed or removed is a change too (a
// missing folder signs as "", so creating it counts).
std::string Server::templateSignature() const {
    std::string sig = folderSignature(config_.templates_dir);
    if (!config_.templates_override_dir.empty())
        sig += "|" + folderSignature(config_.templates_override_dir);
    return sig;
}

void Server::reloadTemplates() {
    template_signature_ = templateSignature();
    auto bundle = loadBundle(config_.templates_dir, config_.templates_override_dir);
    if (!bundle) {
        log_.error("templates not reloaded, the previous ones stay in use: %s",
                   bundle.error().message);
        return;
    }
    services_->bundles->replace(bundle.value());
    services_->generation->refresh();
    if (config_.templates_override_dir.empty()) {
        log_.notice("templates reloaded from %s", config_.templates_dir);
    } else {
        log_.notice("templates reloaded from %s and %s", config_.templates_override_dir,
                    config_.templates_dir);
    }
}

// New connections take the reloaded certificate; open ones keep theirs.
void Server::reloadCertificate() {
    auto context = loadTls(config_, log_, tickets_);
    if (!context) {
        log_.error("TLS certificate not reloaded, the previous one stays in use: %s",
                   context.error().message);
        return;
    }
    tls_contexts_.replace(context.value());
    log_.notice("TLS certificate reloaded");
    // Only a server.crt replaced since the last load is the admin's choice
    // for the fleet; an unchanged one (a SIGHUP for the templates, say) is
    // compared, or every reload would make this node's certificate the
    // fleet's, a stray one included.
    const std::string before = loaded_certificate_;
    const auto now = serverCertificateDigest(services_->hasher, config_.certs_dir);
    loaded_certificate_ = now ? now.value() : "";
    if (services_->postgres) checkCertificate(before);
    // The CA phones are given follows it (or trust.ca_file, read again).
    auto trust = loadTrust(config_, log_);
    if (!trust) {
        log_.error("trust certificate not reloaded, the previous one stays in use: %s",
                   trust.error().message);
        return;
    }
    services_->trust->replace(trust.value());
}

}  // namespace prov::app
