// POST and GET /api/v1/extensions/{ext}/invitations: softphone invitations
// (invite/invitations.h). Admins only: an invitation hands out the SIP secret.

#include <Poco/JSON/Array.h>

#include "provisioner/admin/api_request.h"
#include "provisioner/core/time_format.h"
#include "provisioner/invite/invitations.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

Poco::Dynamic::Var timeOrNull(int64_t t) {
    return t ? Poco::Dynamic::Var(formatUtc(t)) : Poco::Dynamic::Var();
}

// The e-mail's `sending` (a try under way) reads as queued: the contract's
// states are queued, sent and failed.
std::string stateOf(const Invitation& i) {
    if (i.mail.state == "sent" || i.mail.state == "failed") return i.mail.state;
    return "queued";
}

json::ObjectPtr toJson(const Invitation& i) {
    auto o = json::newObject();
    o->set("id", i.id);
    o->set("extension", i.extension);
    o->set("email", i.email);
    o->set("state", stateOf(i));
    o->set("smtp_reply", i.mail.smtp_reply);
    o->set("tries", i.mail.tries);
    o->set("next_try_at",
           stateOf(i) == "queued" ? timeOrNull(i.mail.next_try_at) : Poco::Dynamic::Var());
    o->set("sent_at", timeOrNull(i.mail.sent_at));
    o->set("expires_at", formatUtc(i.expires_at));
    o->set("created_at", formatUtc(i.created_at));
    o->set("revoked", i.revoked);
    o->set("revealed_at", timeOrNull(i.revealed_at));
    return o;
}

}  // namespace

ApiResult invitationRoutes(ApiContext& context, const ApiRequest& r) {
    if (!context.invitations)
        return Error::notFound("softphone invitations are not offered by this server");
    const std::string& ext = r.segments[1];
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "send or read invitations");
    if (r.method == "GET") {
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
        const std::vector<Invitation> list = TRY(context.invitations->list(ext));
        for (const Invitation& i : list) items->add(toJson(i));
        auto o = json::newObject();
        o->set("items", items);
        o->set("total", static_cast<int64_t>(list.size()));
        return ok(o);
    }
    if (r.method == "POST") {
        std::string email;
        if (r.has_body) {
            const auto body = TRY(bodyObject(r));
            std::vector<std::string> names;
            body->getNames(names);
            FieldErrors errors;
            for (const std::string& n : names) {
                if (n != "email") errors[n] = "is not a field of an invitation (only email)";
            }
            if (body->has("email") && !body->isNull("email")) {
                const Poco::Dynamic::Var v = body->get("email");
                if (!v.isString())
                    errors["email"] = "must be a string";
                else
                    email = v.extract<std::string>();
            }
            if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
        }
        return ok(toJson(TRY(context.invitations->create(ext, email, r.actor))), 202);
    }
    return methodNotAllowed("GET, POST");
}

}  // namespace prov::admin
