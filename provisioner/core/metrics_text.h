#pragma once

// The Prometheus text exposition format (version 0.0.4), written family by
// family: a family's # HELP and # TYPE lines, then its samples, each
// `name{label="value",...} value`. Help text and label values are escaped
// as the format says (a backslash, a double quote in a label value, a line
// break); a histogram is written as its cumulative `_bucket` lines, the
// `+Inf` bucket, `_sum` and `_count`.
//
//   metrics::Exposition out;
//   out.family("provisioner_fetches_total", metrics::Type::kCounter, "Fetches by phones.");
//   out.sample("provisioner_fetches_total", {{"protocol", "http"}}, 42);
//   std::string body = out.take();

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provisioner/core/metrics.h"

namespace prov::metrics {

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { kCounter, kGauge, kHistogram };

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class Exposition {
  public:
    // `name` as its samples are named (a counter's ends in _total; a
    // histogram's is the base its _bucket, _sum and _count extend).
    void family(std::string_view name, Type type, std::string_view help);
    void sample(std::string_view name, const Labels& labels, uint64_t value);
    void sample(std::string_view name, const Labels& labels, int64_t value);
    void sample(std::string_view name, const Labels& labels, double value);
    // One series of a histogram family: `labels` plus `le` on each bucket.
    // Bounds and sum are divided by `divisor` (1e6: microseconds observed,
    // seconds shown).
    void histogram(std::string_view name, const Labels& labels, const std::vector<int64_t>& bounds,
                   const Histogram::Snapshot& snapshot, double divisor);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

  private:
    void head(std::string_view name, const Labels& labels, std::string_view extra_name = {},
              std::string_view extra_value = {});
    std::string out_;
};

// A help text with `\` and line breaks escaped.
std::string escapeHelp(std::string_view help);
// A label value with `\`, `"` and line breaks escaped.
std::string escapeLabelValue(std::string_view value);
// A sample value: integers without a fraction, others in the shortest form
// that reads back the same; NaN and infinities as the format spells them.
std::string formatValue(double value);

}  // namespace prov::metrics
