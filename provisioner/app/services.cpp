#include "provisioner/app/services.h"

#include <Poco/Logger.h>
#include <Poco/Net/DNS.h>
#include <Poco/Path.h>

#include <algorithm>

#include "provisioner/app/config_keys.h"
#include "provisioner/app/tls_contexts.h"
#include "provisioner/core/private_file.h"

namespace prov::app {

namespace {

// The catalog of a command opened without templates: it knows no vendor.
// Only import checks models and makes extensions (a softphone one needs the
// catalog to be told from a desk phone), and it opens the templates; the
// commands opened with this one read extensions or touch none.
class NoModels final : public ModelCatalog {
  public:
    std::optional<ModelInfo> findModel(const std::string&, const std::string&) const override {
        return std::nullopt;
    }
    std::string findMake(const std::string&) const override { return ""; }
    std::vector<std::string> makes() const override { return {}; }
};

// Security events go to the "security" logger, at their own priority.
class PocoSecuritySink final : public SecurityLog::Sink {
  public:
    PocoSecuritySink() : logger_(Poco::Logger::get("security")) {}
    bool enabled(LogPriority priority) const override { return logger_.is(static_cast<int>(priority)); }
    void write(LogPriority priority, const std::string& line) override {
        logger_.log(Poco::Message(logger_.name(), line, static_cast<Poco::Message::Priority>(priority)));
    }

  private:
    Poco::Logger& logger_;
};

// The folders made for the store are 0700: the store's -wal, -shm and
// lock files are made beside it.
Status createStoreFolder(const std::string& store_path) {
    if (store_path == ":memory:") return okStatus();
    const std::string parent = Poco::Path(store_path).parent().toString();
    if (auto st = makePrivateDirectories(parent); !st)
        return Error::invalid("store: " + st.error().message);
    return okStatus();
}

// store.url, when set, is the PostgreSQL store several nodes share;
// otherwise store.path is the SQLite one.
Status openStore(Services& s, Migrate migrate, MigrationReport* report) {
    int version = 0;
    if (!s.config.store_url.empty()) {
        const PgStoreOptions options{.lock_timeout_ms = s.config.store_lock_timeout_ms};
        auto store = TRY(PgStore::open(s.config.store_url, s.clock, options));
        s.postgres = store.get();
        s.store = std::move(store);
        if (migrate == Migrate::kYes) {
            MigrationReport r = TRY(s.postgres->migrate());
            if (report) *report = r;
            return okStatus();
        }
        version = TRY(s.postgres->schemaVersion());
    } else {
        TRY(createStoreFolder(s.config.store_path));
        auto store = TRY(SqliteStore::open(s.config.store_path, s.clock));
        s.sqlite = store.get();
        s.store = std::move(store);
        if (migrate == Migrate::kYes) {
            MigrationReport r = TRY(s.sqlite->migrate());
            if (report) *report = r;
            return okStatus();
        }
        version = TRY(s.sqlite->schemaVersion());
    }
    if (version < SqliteStore::latestVersion())
        return Error::invalid("store " + storeName(s.config) + " is at schema version " + std::to_string(version) +
                              "; run 'provisioner migrate' first");
    return okStatus();
}

Status openInventory(Services& s, const ModelCatalog& models) {
    try {
        s.random = std::make_unique<tls::CtrDrbgRandom>();
    } catch (const std::exception& e) {
        return Error::internal(e.what());
    }
    s.inventory = std::make_unique<Inventory>(
        *s.store, *s.random, s.hasher, s.clock, models,
        InventoryOptions{s.config.license_extensions, s.config.status_unknown_after});
    PortalOptions portal;
    portal.session_idle_seconds = s.config.portal_session_idle;
    portal.session_max_seconds = s.config.portal_session_max;
    s.inventory->setPortalOptions(portal);
    return okStatus();
}

// The catalog checks vendors and models against vendor-templates as they
// are now (a reload may add models).
void openFirmware(Services& s) {
    const ServerConfig& config = s.config;
    firmware::CatalogOptions o;
    o.dir = config.firmware_dir;
    o.catalog_only = config.firmware_catalog_only;
    o.rescan_seconds = config.firmware_rescan_seconds;
    // A target or image change is seen by this process's renders at once;
    // bumped, not refreshed: an image verified (or found changed) moves no
    // store counter, and configs offer only images the gate passes now.
    o.on_change = [sp = &s] {
        if (sp->generation) sp->generation->bump();
    };
    o.leads = [store = s.store.get()] { return store->leads(); };
    firmware::VendorLookup lookup = [b = s.bundles.get()](const std::string& make)
        -> std::optional<firmware::VendorModels> {
        const auto bundle = b->current();
        const VendorSpec* v = bundle->catalog.findVendor(make);
        if (!v) return std::nullopt;
        firmware::VendorModels m{v->id, v->name, {}};
        for (const auto& [model, info] : v->models) m.models.push_back(model);
        for (const FileRoute& r : v->files) {
            if (r.firmware && !r.secrets) m.model_wide_only = true;
        }
        return m;
    };
    s.firmware = std::make_unique<firmware::Catalog>(*s.store, std::move(lookup), s.clock, std::move(o));
}

// The spool is one process's (its lock says so): `serve` opens it, and a
// command such as `render` beside a running server does not.
Result<std::unique_ptr<EventSpool>> openSpool(const ServerConfig& config, Needs needs) {
    if (needs != Needs::kServer) return std::unique_ptr<EventSpool>();
    auto spool = EventSpool::open(config.events_spool_dir, static_cast<uint64_t>(config.events_spool_max_mb) << 20);
    if (!spool) return configError("events.spool_dir", spool.error().message);
    return std::move(spool).value();
}

Status openProvisioning(Services& s, Needs needs) {
    const ServerConfig& config = s.config;
    auto networks = policy::NetworkList::parse(config.allow_networks);
    if (!networks)
        return Error::invalid("config: provisioning.allow_networks: " + networks.error().message);
    for (const std::string& w : networks.value().warnings())
        Poco::Logger::get("provisioner").warning("config: provisioning.allow_networks: %s", w);
    s.policy = std::make_unique<policy::Config>(
        policy::Config{std::move(networks).value(), config.secrets_require_client_cert});
    s.generation = std::make_unique<ConfigGeneration>(*s.store, *s.bundles);
    s.generation->refresh();
    // A change may make devices stale: the resync dispatcher (serve only)
    // looks at once rather than at its next scan.
    s.inventory->setChangeListener([sp = &s] {
        sp->generation->refresh();
        if (sp->resync) sp->resync->wake();
    });
    policy::SweepOptions sweep;
    sweep.budget = static_cast<int>(config.sweep_budget);
    sweep.first_block_seconds = config.sweep_block_seconds;
    sweep.max_block_seconds = std::max(config.sweep_block_seconds, config.sweep_max_block_seconds);
    sweep.unknown_per_hour = static_cast<int>(config.sweep_unknown_per_hour);
    s.sweep = std::make_unique<policy::SweepGuard>(sweep, s.clock);
    // The node's name in the merged budgets: random, so no two processes share one.
    s.sweep_merge = std::make_unique<SweepMerge>(*s.store, *s.sweep, s.clock, s.random->alnum(16));
    EventRecorderOptions events;
    events.max_unassigned = static_cast<size_t>(config.devices_max_unassigned);
    events.firmware_failed_after = static_cast<int>(config.firmware_failed_after);
    events.may_record_unknown = [guard = s.sweep.get()](const std::string& peer) {
        return guard->mayRecordUnknown(peer);
    };
    s.events = std::make_unique<EventRecorder>(*s.store, *s.random, events, TRY(openSpool(config, needs)));
    // The server's own keys: made at first start, kept in the store (0600),
    // the same for every process on it.
    std::string nonce_secret;
    std::string hash_key;
    PortalOptions portal = s.inventory->portalOptions();
    TRY(s.store->write([&](StoreTx& tx) -> Status {
        nonce_secret = TRY(tx.serverKey("digest_nonce", s.random->alnum(40)));
        hash_key = TRY(tx.serverKey("served_hash", s.random->alnum(40)));
        // Signs the portal's device cookies (inventory/device_cookie.h): kept,
        // so that they outlive a restart and hold on every node.
        portal.device_key = TRY(tx.serverKey("sign_in_device", s.random->alnum(40)));
        return okStatus();
    }));
    s.inventory->setPortalOptions(portal);
    ProofKeys keys;
    keys.nonce_secret = nonce_secret;
    keys.window_grace = config.staging_window_grace;
    s.proofs = std::make_unique<PhoneProofs>(*s.store, s.hasher, *s.random, s.clock, keys);
    s.security_sink = std::make_unique<PocoSecuritySink>();
    s.security_log = std::make_unique<SecurityLog>(
        *s.security_sink, s.clock, LogThrottleOptions{config.log_refusal_lines, config.log_refusal_interval});
    policy::AuthGuardOptions auth;
    auth.max_failures = static_cast<int>(config.admin_auth_failures);
    auth.first_block_seconds = config.admin_auth_block_seconds;
    auth.max_block_seconds = std::max(config.admin_auth_block_seconds, config.admin_auth_max_block_seconds);
    s.auth_guard = std::make_unique<policy::AuthGuard>(auth, s.clock);
    s.trust = std::make_unique<TrustSource>();
    s.trust->replace(TRY(loadTrust(config, Poco::Logger::get("provisioner"))));
    ServiceOptions options;
    options.trust = s.trust.get();
    options.security_log = s.security_log.get();
    options.firmware_dir = config.firmware_dir;
    options.firmware = s.firmware.get();
    options.uploads_dir = config.uploads_dir;
    options.max_upload_bytes = static_cast<size_t>(config.uploads_max_bytes);
    options.hash_key = hash_key;
    s.provisioning = std::make_unique<ProvisioningService>(*s.store, *s.bundles, *s.policy, *s.events, s.hasher,
                                                           s.clock, *s.generation, *s.proofs, *s.sweep,
                                                           s.cipher, std::move(options));
    invite::InvitationOptions invitations;
    invitations.base_url = config.invitations_base_url;
    invitations.valid_seconds = config.invitations_valid_seconds;
    invitations.from = config.smtp_from;
    invitations.relay = !config.smtp_host.empty();
    invitations.security_log = s.security_log.get();
    // 32 bytes of the CTR_DRBG per token, base64url.
    invite::TokenSource tokens = [r = s.random.get()] {
        unsigned char bytes[32];
        r->bytes(bytes, sizeof bytes);
        return invite::base64Url(bytes, sizeof bytes);
    };
    s.invitations = std::make_unique<invite::Invitations>(*s.store, s.clock, s.hasher, *s.bundles, std::move(tokens),
                                                          std::move(invitations));
    s.invitations->setQueuedListener([sp = &s] {
        if (sp->outbox) sp->outbox->wake();
    });
    return okStatus();
}

}  // namespace

std::unique_ptr<resync::Dispatcher> makeResync(Services& s) {
    const ServerConfig& config = s.config;
    resync::DispatcherOptions o;
    if (config.resync_route == "off") return nullptr;
    o.route = config.resync_route == "hook" ? resync::Route::kHook : resync::Route::kNotify;
    if (!config.resync_hook_argv.empty()) o.hook = resync::HookCommand{config.resync_hook_argv};
    o.rate = config.resync_rate;
    o.bind = config.resync_bind;
    o.port = config.resync_port;
    o.advertise = config.resync_advertise;
    o.t1_ms = config.resync_t1_ms;
    o.hook_timeout_ms = config.resync_hook_timeout * 1000;
    o.retry_after_seconds = config.resync_retry_after;
    o.leads = [store = s.store.get()] { return store->leads(); };
    // The vendor's event as the templates say now (a reload may change it).
    resync::VendorEvents vendors = [b = s.bundles.get()](const std::string& make)
        -> std::optional<resync::VendorEvent> {
        const auto bundle = b->current();
        const VendorSpec* v = bundle->catalog.findVendor(make);
        if (!v) return std::nullopt;
        return resync::VendorEvent{v->id, v->resync_event};
    };
    return std::make_unique<resync::Dispatcher>(*s.store, s.clock, *s.random, s.hasher, std::move(vendors),
                                                 std::move(o));
}

std::unique_ptr<mail::Outbox> makeOutbox(Services& s) {
    const ServerConfig& config = s.config;
    mail::SmtpOptions smtp;
    smtp.host = config.smtp_host;
    smtp.port = config.smtp_port;
    smtp.starttls = mail::parseStartTls(config.smtp_starttls);
    smtp.user = config.smtp_user;
    smtp.password = config.smtp_password;
    smtp.ca_file = config.smtp_ca_file;
    smtp.tls_verify = config.smtp_tls_verify;
    smtp.allow_plain_auth = config.smtp_allow_plain_auth;
    smtp.timeout_ms = static_cast<int>(config.smtp_timeout * 1000);
    smtp.helo_name = Poco::Net::DNS::hostName();
    mail::OutboxOptions o;
    o.retry_seconds = config.smtp_retry_seconds;
    o.max_tries = config.smtp_max_tries;
    mail::Composer compose = [inv = s.invitations.get()](StoreTx& tx, const OutboxRow& row) {
        return inv->compose(tx, row);
    };
    mail::Sender send = [smtp](const mail::Message& m, mail::Interrupter& interrupter) {
        return mail::sendMail(smtp, m, &interrupter);
    };
    return std::make_unique<mail::Outbox>(*s.store, s.clock, std::move(compose), std::move(send), std::move(o));
}

std::string storeName(const ServerConfig& config) {
    if (config.store_url.empty()) return config.store_path;
    // postgresql://user:password@host/db: the password is not shown.
    std::string url = config.store_url;
    const size_t scheme = url.find("://");
    const size_t at = url.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
        const size_t colon = url.find(':', scheme + 3);
        if (colon != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
    }
    // ...?password=...: libpq takes it as a query parameter too.
    const size_t query = url.find('?');
    for (size_t p = query == std::string::npos ? std::string::npos : url.find("password=", query);
         p != std::string::npos; p = url.find("password=", p + 1)) {
        if (url[p - 1] != '?' && url[p - 1] != '&') continue;  // another name ending in "password"
        const size_t value = p + 9;
        const size_t end = url.find('&', value);
        url.replace(value, (end == std::string::npos ? url.size() : end) - value, "***");
    }
    return url;
}

// Nodes on one PostgreSQL store share it on purpose: no lock.
Result<std::unique_ptr<ServerLock>> lockStore(const ServerConfig& config) {
    if (config.store_path == ":memory:" || !config.store_url.empty()) return std::unique_ptr<ServerLock>();
    TRY(createStoreFolder(config.store_path));
    return ServerLock::take(config.store_path);
}

Result<std::unique_ptr<Services>> openServices(const ServerConfig& config, Needs needs,
                                               Migrate migrate, MigrationReport* report) {
    auto s = std::make_unique<Services>();
    s->config = config;
    if (needs == Needs::kNothing) return s;
    TRY(openStore(*s, migrate, report));
    if (needs == Needs::kStore) {
        static const NoModels kNoModels;
        TRY(openInventory(*s, kNoModels));
        return s;
    }
    s->bundles = std::make_unique<BundleSource>(
        TRY(loadBundle(config.templates_dir, config.templates_override_dir)));
    TRY(openInventory(*s, *s->bundles));
    openFirmware(*s);
    if (needs == Needs::kEverything || needs == Needs::kServer) TRY(openProvisioning(*s, needs));
    return s;
}

}  // namespace prov::app
