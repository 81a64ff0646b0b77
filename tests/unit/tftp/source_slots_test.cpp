#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "provisioner/tftp/memory_budget.h"
#include "provisioner/tftp/source.h"
#include "provisioner/tftp/source_slots.h"
#include "temp_dir.h"

using namespace prov::tftp;

TEST_CASE("a source gets few unverified slots and more verified ones") {
    SourceSlots slots(SlotCaps{.max_total = 100, .max_unverified_per_source = 2, .max_verified_per_source = 3});
    CHECK(slots.claim("10.0.0.1"));
    CHECK(slots.claim("10.0.0.1"));
    CHECK_FALSE(slots.claim("10.0.0.1"));  // two requests nobody has ACKed yet
    CHECK(slots.claim("10.0.0.2"));        // another source is not affected
    // Verified transfers free the unverified slots they came from.
    CHECK(slots.verify("10.0.0.1"));
    CHECK(slots.verify("10.0.0.1"));
    CHECK_FALSE(slots.verify("10.0.0.1"));  // nothing unverified left to verify
    CHECK(slots.claim("10.0.0.1"));
    CHECK(slots.verify("10.0.0.1"));       // 3 verified: the cap
    CHECK_FALSE(slots.claim("10.0.0.1"));  // no room for one more under way: not even an unverified one
    slots.release("10.0.0.1", true);
    CHECK(slots.claim("10.0.0.1"));
    CHECK(slots.claim("10.0.0.1"));
    CHECK(slots.verify("10.0.0.1"));        // one verified slot was free...
    CHECK_FALSE(slots.verify("10.0.0.1"));  // ...not two
}

TEST_CASE("the total caps all sources, and released slots are reused") {
    SourceSlots slots(SlotCaps{.max_total = 3, .max_unverified_per_source = 8, .max_verified_per_source = 8});
    CHECK(slots.claim("a"));
    CHECK(slots.claim("b"));
    CHECK(slots.claim("c"));
    CHECK_FALSE(slots.claim("d"));
    slots.release("b", false);
    CHECK(slots.claim("d"));
    CHECK(slots.verify("a"));
    slots.release("a", true);
    slots.release("c", false);
    slots.release("d", false);
    for (int i = 0; i < 3; ++i) CHECK(slots.claim("e" + std::to_string(i)));
    CHECK_FALSE(slots.claim("f"));
}

TEST_CASE("the memory budget refuses what would pass it and takes back what is given") {
    MemoryBudget budget(1000);
    CHECK(budget.take(600));
    CHECK_FALSE(budget.take(401));
    CHECK(budget.used() == 600);
    CHECK(budget.take(400));
    CHECK_FALSE(budget.take(1));
    budget.give(600);
    CHECK(budget.take(600));
    CHECK_FALSE(budget.take(UINT64_MAX));
    CHECK(budget.used() == 1000);
}

TEST_CASE("a file source refuses a file that is no longer the one the pipeline checked") {
    prov::testing::TempDir dir;
    const std::string path = dir.write("fw.rom", std::string(5000, 'F'));
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    const prov::FileCheck checked{5000, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                                  static_cast<int64_t>(st.st_ino), static_cast<int64_t>(st.st_dev)};
    CHECK(FileSource::open(path, checked));
    // The same inode number on another file system is another file.
    prov::FileCheck elsewhere = checked;
    elsewhere.device += 1;
    CHECK_FALSE(FileSource::open(path, elsewhere));
    CHECK(FileSource::open(path));
    // Replaced through a rename since: another inode.
    dir.write("new.rom", std::string(5000, 'G'));
    REQUIRE(::rename((dir.path() + "/new.rom").c_str(), path.c_str()) == 0);
    auto replaced = FileSource::open(path, checked);
    REQUIRE_FALSE(replaced);
    CHECK(replaced.error().code == prov::Code::kNotFound);
}
