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
};

const std::vector<Migration>& migrations();

}  // namespace prov::sqlite
