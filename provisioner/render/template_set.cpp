#include "provisioner/render/template_set.h"

#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include "provisioner/render/escape.h"
#include "provisioner/render/panasonic_file.h"
#include "provisioner/render/render_context.h"
#include "provisioner/render/xml_check.h"

namespace prov {

struct TemplateSet::Compiled {
    explicit Compiled(const std::string& text) : tmpl(text), names(tagNames(text)) {}
    kainjow::mustache::mustache tmpl;
    TagNames names;  // what its tags read: the context leaves out lists it does not
};

TemplateSet::~TemplateSet() = default;

namespace {

std::string templateKey(const VendorSpec& v, const std::string& name, OutputFormat format) {
    const char* suffix = format == OutputFormat::kXml         ? "#xml"
                         : format == OutputFormat::kPanasonic ? "#panasonic"
                         : format == OutputFormat::kSet       ? "#set"
                         : format == OutputFormat::kXmlQuoted ? "#xml-quoted"
                                                              : "#kv";
    return v.id + "/" + name + suffix;
}

// The spec a render uses: the family's of the render's model (modelInfo).
const VendorSpec& specFor(const RenderInput& in) {
    const ModelInfo* model = modelInfo(in);
    return model ? in.vendor->forModel(model->model) : *in.vendor;
}

}  // namespace

Result<std::shared_ptr<const TemplateSet>> TemplateSet::load(const VendorCatalog& catalog) {
    std::shared_ptr<TemplateSet> set(new TemplateSet());
    // Escaping is fixed when a template compiles, so one template used by
    // routes of two formats is compiled once per format.
    auto compile = [&](const VendorSpec& v, const std::string& name, OutputFormat format) -> Status {
        const std::string key = templateKey(v, name, format);
        if (set->templates_.count(key)) return okStatus();
        const std::string path = v.file(name);
        std::ifstream in(path, std::ios::binary);
        if (!in) return Error::invalid("template " + path + " cannot be read");
        std::stringstream text;
        text << in.rdbuf();
        const std::string body = text.str();
        // Unescaped output would let a value break the file: refuse it,
        // and refuse delimiter changes that could hide it.
        for (size_t i = body.find("{{"); i != std::string::npos; i = body.find("{{", i + 2)) {
            size_t j = i + 2;
            while (j < body.size() && std::isspace(static_cast<unsigned char>(body[j]))) ++j;
            if (j < body.size() && (body[j] == '{' || body[j] == '&' || body[j] == '='))
                return Error::invalid("template " + path +
                                      " uses unescaped output or changes delimiters ({{{, {{& or {{=)");
        }
        // A Panasonic file without its header line is rejected by the phone.
        if (format == OutputFormat::kPanasonic) TRY(panasonic::checkTemplate(body, path));
        if (format == OutputFormat::kSet) TRY(checkSetTemplate(body, path));
        if (format == OutputFormat::kXmlQuoted) TRY(checkXmlQuotedTemplate(body, path));
        auto compiled = std::make_unique<Compiled>(body);
        compiled->tmpl.set_custom_escape([format](const std::string& s) { return escapeFor(format, s); });
        if (!compiled->tmpl.is_valid()) return Error::invalid("template " + path + ": " + compiled->tmpl.error_message());
        set->templates_[key] = std::move(compiled);
        return okStatus();
    };
    for (const auto& v : catalog.vendors()) {
        for (const FileRoute& r : v->files) {
            if (r.template_name.empty()) continue;
            TRY(compile(*v, r.template_name, r.format));
            // A model family's file for the route, in the route's format.
            for (const auto& [name, family] : v->families) {
                (void)name;
                TRY(compile(*family, family->templateFor(r.template_name), family->formatOf(r)));
            }
        }
    }
    return std::shared_ptr<const TemplateSet>(set);
}

Result<std::string> TemplateSet::render(const RenderInput& input) const {
    // A model of a family renders with its family's spec: its templates and
    // value maps, everywhere the context reads the vendor's.
    // (The input is copied only then: most phones render as they came.)
    const VendorSpec& spec = specFor(input);
    std::optional<RenderInput> copy;
    if (&spec != input.vendor) {
        copy.emplace(input);
        copy->vendor = &spec;
    }
    const RenderInput& in = copy ? *copy : input;
    const std::string& name = in.vendor->templateFor(in.route->template_name);
    const OutputFormat format = in.vendor->formatOf(*in.route);
    auto it = templates_.find(templateKey(*in.vendor, name, format));
    if (it == templates_.end()) return Error::internal("no template " + name);
    kainjow::mustache::data ctx = buildContext(in, &it->second->names);
    std::string out = it->second->tmpl.render(ctx);
    if (!it->second->tmpl.is_valid()) return Error::internal("template " + name + ": " + it->second->tmpl.error_message());
    if (format == OutputFormat::kXml) {
        if (auto st = checkXml(out); !st) return Error::internal(in.vendor->id + "/" + name + ": " + st.error().message);
    }
    if (format == OutputFormat::kPanasonic) return panasonic::finish(out, in.vendor->id + "/" + in.file);
    if (format == OutputFormat::kXmlQuoted) {
        auto finished = finishXmlQuoted(out);
        if (!finished) {
            const std::string message = in.vendor->id + "/" + name + ": " + finished.error().message;
            return finished.error().code == Code::kInvalidArgument ? Error::invalid(message)
                                                                         : Error::internal(message);
        }
        return std::move(finished.value());
    }
    if (format == OutputFormat::kSet) {
        auto finished = finishSetLines(std::move(out));
        if (!finished) return Error::invalid(in.vendor->id + "/" + name + ": " + finished.error().message);
        return std::move(finished.value());
    }
    return out;
}

}  // namespace prov

#include "provisioner/render/bundle.h"

namespace prov {

Result<std::shared_ptr<const Bundle>> loadBundle(const std::string& dir,
                                                 const std::string& override_dir) {
    VendorCatalog catalog = TRY(VendorCatalog::load(dir, override_dir));
    std::shared_ptr<const TemplateSet> templates = TRY(TemplateSet::load(catalog));
    auto bundle = std::make_shared<Bundle>();
    bundle->catalog = std::move(catalog);
    bundle->templates = std::move(templates);
    return std::shared_ptr<const Bundle>(bundle);
}

}  // namespace prov
