// One server per SQLite store (store/server_lock.h): the lock is exclusive
// and names its holder, other users of the store are not locked out, and it
// is gone with its holder.

#include "provisioner/store/server_lock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "provisioner/store/sqlite_store.h"
#include "temp_dir.h"

using namespace prov;

TEST_CASE("server lock: a second taker is refused in_use, naming the store and the holder") {
    prov::testing::TempDir dir;
    const std::string store = dir.path() + "/store.db";
    const mode_t old = ::umask(022);
    auto first = ServerLock::take(store);
    ::umask(old);
    REQUIRE(first);
    CHECK(first.value()->path() == store + ".lock");
    struct stat st {};
    REQUIRE(::stat((store + ".lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // flock belongs to the open file description: a second open in the same
    // process conflicts just as another process would.
    auto second = ServerLock::take(store);
    REQUIRE_FALSE(second);
    CHECK(second.error().reason == "in_use");
    CHECK(second.error().message == "the store " + store +
                                        " is in use by another provisioner serve (process " +
                                        std::to_string(::getpid()) + "); one server per store");

    first.value().reset();
    auto third = ServerLock::take(store);
    CHECK(third);
}

TEST_CASE("server lock: the store stays open to other commands while it is held") {
    prov::testing::TempDir dir;
    const std::string path = dir.path() + "/store.db";
    auto lock = ServerLock::take(path);
    REQUIRE(lock);
    FakeClock clock;
    {
        auto server = SqliteStore::open(path, clock);
        REQUIRE(server);
        REQUIRE(server.value()->migrate());
        // Another connection (as `backup`, `import` or `token create` makes).
        auto command = SqliteStore::open(path, clock);
        REQUIRE(command);
        REQUIRE(command.value()->write([](StoreTx& tx) -> Status {
            ApiToken t;
            t.name = "cli";
            t.hash = "h";
            return tx.insertToken(t);
        }));
        int64_t tokens = 0;
        REQUIRE(server.value()->read([&](StoreTx& tx) -> Status {
            tokens = TRY(tx.countTokens());
            return okStatus();
        }));
        CHECK(tokens == 1);
        REQUIRE(command.value()->backup(dir.path() + "/copy.db"));
    }
    // SQLite closing its descriptors of the store left this lock alone.
    auto second = ServerLock::take(path);
    CHECK_FALSE(second);
}

TEST_CASE("server lock: a lock file left with a wide mode is brought to 0600") {
    prov::testing::TempDir dir;
    const std::string store = dir.path() + "/store.db";
    const std::string file = dir.write("store.db.lock", "12345\n");
    REQUIRE(::chmod(file.c_str(), 0644) == 0);
    auto lock = ServerLock::take(store);
    REQUIRE(lock);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}
