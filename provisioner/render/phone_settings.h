#pragma once

// The phone settings of issue 13 (dtmf_mode, srtp, register_expiry,
// outbound_proxy, backup_sip_server, mwi_subscribe, codecs, language,
// tone_country, pickup_code) as template variables in the vendor's terms
// (vendor.json setting_values): vendor-templates/README.md, "Phone settings"
// and "What a template sees".

#include <kainjow/mustache.hpp>

#include "provisioner/render/template_set.h"

namespace prov {

void addPhoneSettings(kainjow::mustache::data& ctx, const RenderInput& in);

}  // namespace prov
