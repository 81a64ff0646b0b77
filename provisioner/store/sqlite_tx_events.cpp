// SqliteTx: provisioning events and the config generation counter.

#include "provisioner/store/sqlite_query.h"
#include "provisioner/store/sqlite_tx.h"

namespace prov::sqlite {

namespace {

Event readEvent(const Stmt& s) {
    Event e;
    int c = 0;
    e.id = s.integer(c++);
    e.at = s.integer(c++);
    e.mac = s.text(c++);
    e.peer_ip = s.text(c++);
    e.protocol = s.text(c++);
    e.path = s.text(c++);
    e.user_agent = s.text(c++);
    e.vendor = s.text(c++);
    e.model = s.text(c++);
    e.firmware = s.text(c++);
    e.outcome = s.text(c++);
    e.bytes = s.integer(c++);
    e.duration_us = s.integer(c++);
    e.config_hash = s.text(c++);
    e.auth = s.text(c++);
    e.wipe = s.integer(c++) != 0;
    return e;
}

}  // namespace

Result<int64_t> SqliteTx::configGeneration() {
    Stmt s(conn_, "SELECT value FROM config_generation WHERE id = 1");
    if (!s.step()) return failure("config generation");
    return s.integer(0);
}

Status SqliteTx::insertEvents(const std::vector<Event>& events) {
    for (const Event& e : events) {
        Stmt s(conn_,
               "INSERT INTO events (at, mac, peer_ip, protocol, path, user_agent, vendor, model,"
               " firmware, outcome, bytes, duration_us, config_hash, auth, wipe)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        s.bind(1, e.at).bind(2, e.mac).bind(3, e.peer_ip).bind(4, e.protocol).bind(5, e.path);
        s.bind(6, e.user_agent).bind(7, e.vendor).bind(8, e.model).bind(9, e.firmware);
        s.bind(10, e.outcome).bind(11, e.bytes).bind(12, e.duration_us).bind(13, e.config_hash).bind(14, e.auth);
        s.bind(15, static_cast<int64_t>(e.wipe));
        TRY(done(s, "event"));
    }
    return okStatus();
}

Result<bool> SqliteTx::addEventBatch(const std::string& id) {
    Stmt s(conn_, "INSERT INTO event_batches (id, stored_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING");
    s.bind(1, id).bind(2, clock_.nowSeconds());
    TRY(done(s, "event batch"));
    return sqlite3_changes(conn_.handle()) == 1;
}

Result<Listing<Event>> SqliteTx::listEvents(const EventFilter& f, Page page) {
    Where w;
    if (!f.mac.empty()) w.add("mac = ?", f.mac);
    if (!f.outcome.empty()) w.add("outcome = ?", f.outcome);
    if (f.since) w.addInt("at >= ?", f.since);
    Listing<Event> out;
    out.total = TRY(countWhere(conn_, "events", w));
    Stmt s(conn_, "SELECT id, at, mac, peer_ip, protocol, path, user_agent, vendor, model, firmware,"
                  " outcome, bytes, duration_us, config_hash, auth, wipe FROM events" + w.sql +
                  " ORDER BY id DESC" + pageClause(page));
    w.bind(s);
    while (s.step()) out.items.push_back(readEvent(s));
    if (s.failed()) return failure("events");
    return out;
}

Result<int64_t> SqliteTx::pruneEvents(int64_t before, int64_t limit) {
    Stmt s(conn_, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)");
    s.bind(1, before).bind(2, limit);
    TRY(done(s, "prune events"));
    const auto pruned = static_cast<int64_t>(sqlite3_changes(conn_.handle()));
    // Resync pushes are kept as long as events.
    Stmt pushes(conn_,
                "DELETE FROM resync_pushes WHERE id IN (SELECT id FROM resync_pushes WHERE queued_at < ?"
                " ORDER BY queued_at LIMIT ?)");
    pushes.bind(1, before).bind(2, limit);
    TRY(done(pushes, "prune resync pushes"));
    // Batch ids are kept as long as events: a batch replayed later than
    // that (a spool left for months) holds only events pruned at once.
    Stmt batches(conn_,
                 "DELETE FROM event_batches WHERE id IN (SELECT id FROM event_batches WHERE stored_at < ?"
                 " ORDER BY stored_at LIMIT ?)");
    batches.bind(1, before).bind(2, limit);
    TRY(done(batches, "prune event batches"));
    return pruned;
}

}  // namespace prov::sqlite
