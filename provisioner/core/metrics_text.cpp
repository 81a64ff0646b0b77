#include "provisioner/core/metrics_text.h"

#include <charconv>
#include <cmath>

namespace prov::metrics {

namespace {

std::string_view typeName(Type t) {
    switch (t) {
        case Type::kCounter:
            return "counter";
        case Type::kGauge:
            return "gauge";
        case Type::kHistogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::string escapeHelp(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string formatValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buf[64];
    // Whole numbers (counts, bytes) as integers.
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
        return std::string(buf, r.ptr);
    }
    // The shortest digits that read back as the same double, laid out as
    // Prometheus' own clients do (Go's 'g' format): 0.0005, 9.017001, but
    // 1e-05 and 1e+21 (to_chars' shortest would give 5e-04 for 0.0005).
    const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(value))));
    const auto format =
        exponent < -4 || exponent >= 21 ? std::chars_format::scientific : std::chars_format::fixed;
    const auto r = std::to_chars(buf, buf + sizeof buf, value, format);
    return std::string(buf, r.ptr);
}

void Exposition::family(std::string_view name, Type type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(escapeHelp(help)).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(typeName(type)).append("\n");
}

void Exposition::head(std::string_view name, const Labels& labels, std::string_view extra_name,
                      std::string_view extra_value) {
    out_.append(name);
    if (labels.empty() && extra_name.empty()) {
        out_ += ' ';
        return;
    }
    out_ += '{';
    bool first = true;
    auto label = [&](std::string_view k, std::string_view v) {
        if (!first) out_ += ',';
        first = false;
        out_.append(k).append("=\"").append(escapeLabelValue(v)).append("\"");
    };
    for (const auto& [k, v] : labels) label(k, v);
    if (!extra_name.empty()) label(extra_name, extra_value);
    out_.append("} ");
}

void Exposition::sample(std::string_view name, const Labels& labels, uint64_t value) {
    head(name, labels);
    out_.append(std::to_string(value)).append("\n");
}

void Exposition::sample(std::string_view name, const Labels& labels, int64_t value) {
    head(name, labels);
    out_.append(std::to_string(value)).append("\n");
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
    head(name, labels);
    out_.append(formatValue(value)).append("\n");
}

void Exposition::histogram(std::string_view name, const Labels& labels,
                           const std::vector<int64_t>& bounds, const Histogram::Snapshot& snapshot,
                           double divisor) {
    const std::string bucket = std::string(name) + "_bucket";
    // Divided, not multiplied by 1e-6: 500 / 1e6 is the double nearest
    // 0.0005, which prints as 0.0005; 500 * 1e-6 may not be.
    for (size_t i = 0; i < bounds.size() && i < snapshot.cumulative.size(); ++i) {
        const std::string le = formatValue(static_cast<double>(bounds[i]) / divisor);
        head(bucket, labels, "le", le);
        out_.append(std::to_string(snapshot.cumulative[i])).append("\n");
    }
    head(bucket, labels, "le", "+Inf");
    out_.append(std::to_string(snapshot.count)).append("\n");
    sample(std::string(name) + "_sum", labels, static_cast<double>(snapshot.sum) / divisor);
    sample(std::string(name) + "_count", labels, snapshot.count);
}

}  // namespace prov::metrics
