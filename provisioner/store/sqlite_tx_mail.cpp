// SqliteTx: the e-mail outbox and the invitations it carries (migration 14).

#include "provisioner/store/sqlite_query.h"
#include "provisioner/store/sqlite_tx.h"

namespace prov::sqlite {

namespace {

constexpr const char* kOutboxColumns =
    "o.id, o.kind, o.ref_id, o.recipient, o.state, o.tries, o.next_try_at, o.smtp_reply, "
    "o.created_at, o.sent_at";

OutboxRow readOutbox(const Stmt& s, int at) {
    OutboxRow r;
    r.id = s.integer(at);
    r.kind = s.text(at + 1);
    r.ref_id = s.integer(at + 2);
    r.recipient = s.text(at + 3);
    r.state = s.text(at + 4);
    r.tries = s.integer(at + 5);
    r.next_try_at = s.isNull(at + 6) ? 0 : s.integer(at + 6);
    r.smtp_reply = s.text(at + 7);
    r.created_at = s.integer(at + 8);
    r.sent_at = s.isNull(at + 9) ? 0 : s.integer(at + 9);
    return r;
}

// Every invitation query: its columns, then its e-mail's (NULL for none).
const std::string& selectInvitations() {
    static const std::string sql =
        std::string(
            "SELECT i.id, i.extension, i.email, i.token_hash, i.created_at, i.expires_at,"
            " i.revoked, i.revealed_at, i.created_by, i.extension_id, ") +
        kOutboxColumns +
        " FROM invitations i LEFT JOIN outbox o ON o.kind = 'invitation' AND o.ref_id = i.id";
    return sql;
}

Invitation readInvitation(const Stmt& s) {
    Invitation i;
    i.id = s.integer(0);
    i.extension = s.text(1);
    i.email = s.text(2);
    i.token_hash = s.text(3);
    i.created_at = s.integer(4);
    i.expires_at = s.integer(5);
    i.revoked = s.integer(6) != 0;
    i.revealed_at = s.isNull(7) ? 0 : s.integer(7);
    i.created_by = s.text(8);
    i.extension_id = s.integer(9);
    if (!s.isNull(10)) {
        i.mail = readOutbox(s, 10);
    } else {
        i.mail.state.clear();  // no e-mail: none of its state
    }
    return i;
}

}  // namespace

Status SqliteTx::insertOutbox(OutboxRow& r) {
    Stmt s(conn_,
           "INSERT INTO outbox (kind, ref_id, recipient, state, tries, next_try_at, smtp_reply, "
           "created_at)"
           " VALUES (?,?,?,'queued',0,?,'',?)");
    r.created_at = clock_.nowSeconds();
    r.state = "queued";
    r.tries = 0;
    if (r.next_try_at == 0) r.next_try_at = r.created_at;
    s.bind(1, r.kind)
        .bind(2, r.ref_id)
        .bind(3, r.recipient)
        .bind(4, r.next_try_at)
        .bind(5, r.created_at);
    TRY(done(s, "outbox"));
    r.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<std::vector<OutboxRow>> SqliteTx::dueOutbox(int64_t now, int64_t limit) {
    static const std::string sql = std::string("SELECT ") + kOutboxColumns +
                                   " FROM outbox o WHERE o.state = 'queued' AND o.next_try_at <= ?"
                                   " ORDER BY o.next_try_at, o.id LIMIT ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, now).bind(2, limit);
    std::vector<OutboxRow> out;
    while (s.step()) out.push_back(readOutbox(s, 0));
    if (s.failed()) return failure("outbox");
    return out;
}

Result<bool> SqliteTx::claimOutbox(int64_t id) {
    Stmt s(
        conn_,
        "UPDATE outbox SET state = 'sending', tries = tries + 1 WHERE id = ? AND state = 'queued'");
    s.bind(1, id);
    TRY(done(s, "outbox"));
    return sqlite3_changes(conn_.handle()) == 1;
}

// Conditional on the claim: a sender whose row was taken back and claimed
// again by another node must not overwrite that node's outcome.
Result<bool> SqliteTx::settleOutbox(int64_t id, int64_t tries, const std::string& state,
                                    const std::string& smtp_reply, int64_t next_try_at, int64_t at) {
    Stmt s(conn_,
           "UPDATE outbox SET state = ?, smtp_reply = ?, next_try_at = ?,"
           " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
           " WHERE id = ? AND state = 'sending' AND tries = ?");
    s.bind(1, state).bind(2, smtp_reply);
    if (state == "queued") {
        s.bind(3, next_try_at);
    } else {
        s.bindNull(3);
    }
    s.bind(4, state).bind(5, at).bind(6, id).bind(7, tries);
    TRY(done(s, "outbox"));
    return sqlite3_changes(conn_.handle()) == 1;
}

Result<int64_t> SqliteTx::requeueSending(int64_t at) {
    Stmt s(conn_, "UPDATE outbox SET state = 'queued', next_try_at = ? WHERE state = 'sending'");
    s.bind(1, at);
    TRY(done(s, "outbox"));
    return static_cast<int64_t>(sqlite3_changes(conn_.handle()));
}

Result<std::optional<OutboxRow>> SqliteTx::getOutbox(int64_t id) {
    static const std::string sql =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox o WHERE o.id = ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, id);
    if (s.step()) return std::optional<OutboxRow>(readOutbox(s, 0));
    if (s.failed()) return failure("outbox");
    return std::optional<OutboxRow>();
}

Result<int64_t> SqliteTx::nextOutboxDue() {
    Stmt s(conn_, "SELECT COALESCE(MIN(next_try_at), 0) FROM outbox WHERE state = 'queued'");
    if (!s.step()) return failure("outbox");
    return s.integer(0);
}

Status SqliteTx::insertInvitation(Invitation& i) {
    Stmt s(
        conn_,
        "INSERT INTO invitations (extension, email, token_hash, created_at, expires_at, created_by,"
        " extension_id) VALUES (?,?,?,?,?,?,?)");
    s.bind(1, i.extension)
        .bind(2, i.email)
        .bind(3, i.token_hash)
        .bind(4, i.created_at)
        .bind(5, i.expires_at);
    s.bind(6, i.created_by).bind(7, i.extension_id);
    TRY(done(s, "invitation"));
    i.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<int64_t> SqliteTx::revokeInvitations(const std::string& extension, int64_t keep) {
    Stmt s(conn_,
           "UPDATE invitations SET revoked = 1 WHERE extension = ? AND id <> ? AND revoked = 0");
    s.bind(1, extension).bind(2, keep);
    TRY(done(s, "invitations"));
    return static_cast<int64_t>(sqlite3_changes(conn_.handle()));
}

Result<std::vector<Invitation>> SqliteTx::listInvitations(const std::string& extension,
                                                          int64_t limit) {
    static const std::string sql =
        selectInvitations() + " WHERE i.extension = ? ORDER BY i.id DESC LIMIT ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, extension).bind(2, limit);
    std::vector<Invitation> out;
    while (s.step()) out.push_back(readInvitation(s));
    if (s.failed()) return failure("invitations");
    return out;
}

Result<std::optional<Invitation>> SqliteTx::getInvitation(int64_t id) {
    static const std::string sql = selectInvitations() + " WHERE i.id = ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, id);
    if (s.step()) return std::optional<Invitation>(readInvitation(s));
    if (s.failed()) return failure("invitation");
    return std::optional<Invitation>();
}

Result<std::optional<Invitation>> SqliteTx::invitationByToken(const std::string& token_hash) {
    static const std::string sql =
        selectInvitations() + " WHERE i.token_hash = ? AND i.token_hash <> ''";
    Stmt s(conn_, sql.c_str());
    s.bind(1, token_hash);
    if (s.step()) return std::optional<Invitation>(readInvitation(s));
    if (s.failed()) return failure("invitation");
    return std::optional<Invitation>();
}

Status SqliteTx::setInvitationToken(int64_t id, const std::string& token_hash) {
    Stmt s(conn_, "UPDATE invitations SET token_hash = ? WHERE id = ?");
    s.bind(1, token_hash).bind(2, id);
    return done(s, "invitation");
}

Result<bool> SqliteTx::revealInvitation(int64_t id, int64_t at) {
    Stmt s(conn_, "UPDATE invitations SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL");
    s.bind(1, at).bind(2, id);
    TRY(done(s, "invitation"));
    return sqlite3_changes(conn_.handle()) == 1;
}

}  // namespace prov::sqlite
