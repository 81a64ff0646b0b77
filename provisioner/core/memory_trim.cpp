#include "provisioner/core/memory_trim.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace prov {

bool releaseFreeMemory() {
#if defined(__GLIBC__)
    return malloc_trim(0) != 0;
#else
    return false;
#endif
}

bool TrimAfterDrop::observe(int64_t load) {
    if (load > peak_) peak_ = load;
    if (peak_ - load < min_drop_) return false;
    peak_ = load;
    return true;
}

}  // namespace prov
