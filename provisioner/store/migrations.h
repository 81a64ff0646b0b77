#pragma once

// Numbered schema migrations. The schema changes only by appending a new
// migration here; an applied migration is never edited.

#include <string_view>
#include <vector>

namespace prov::sqlite {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
    // Names this migration was recorded under by earlier builds of main
    // (its name was edited after stores had applied it): such a store is
    // this build's, not another's.
    std::vector<std::string_view> former_names{};
};

const std::vector<Migration>& migrations();

}  // namespace prov::sqlite
