#include <catch2/catch.hpp>

#include <random>

#include "provisioner/tftp/block_reader.h"
#include "provisioner/tftp/netascii.h"
#include "provisioner/tftp/transfer.h"
#include "temp_dir.h"

using namespace prov::tftp;

namespace {

// The whole file at once, the way it must come out block by block.
std::string wholeNetascii(const std::string& octets) {
    std::string out;
    for (char c : octets) {
        if (c == '\n') {
            out += "\r\n";
        } else if (c == '\r') {
            out += std::string("\r\0", 2);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// Reads every block until the short one; checks each is full but the last.
std::vector<std::string> allBlocks(BlockReader& reader, uint32_t blksize) {
    std::vector<std::string> blocks;
    for (uint64_t b = 1; b < 100000; ++b) {
        std::string block;
        REQUIRE(reader.read(b, block));
        blocks.push_back(block);
        reader.forgetBefore(b + 1);
        if (block.size() < blksize) break;
        REQUIRE(block.size() == blksize);
    }
    return blocks;
}

std::string joined(const std::vector<std::string>& blocks) {
    std::string out;
    for (const auto& b : blocks) out += b;
    return out;
}

std::string netasciiBlocks(const std::string& octets, uint32_t blksize) {
    BlockReader reader(std::make_unique<MemorySource>(octets), Mode::kNetascii, blksize);
    return joined(allBlocks(reader, blksize));
}

// A source that counts its reads.
class CountingSource final : public Source {
public:
    explicit CountingSource(std::string data) : data_(std::move(data)) {}
    uint64_t size() const override { return data_.size(); }
    bool read(uint64_t offset, size_t len, std::string& out) override {
        ++reads;
        if (offset < data_.size()) out.append(data_, offset, std::min<uint64_t>(len, data_.size() - offset));
        return true;
    }
    int reads = 0;

private:
    std::string data_;
};

}  // namespace

TEST_CASE("a window is read with one read of the source, and reads as block by block") {
    std::mt19937 rng(7);
    const char alphabet[] = {'a', '\n', '\r', 'b'};
    std::string octets(300 * 1024, 'x');  // past the 256 KiB cap at the largest windows
    for (char& c : octets) c = alphabet[rng() % sizeof alphabet];
    for (Mode mode : {Mode::kOctet, Mode::kNetascii}) {
        for (uint32_t blksize : {8u, 512u, 1428u, 65464u}) {
            for (uint64_t window : {2u, 4u, 16u, 64u}) {
                INFO("mode " << (mode == Mode::kOctet ? "octet" : "netascii") << " blksize " << blksize << " window "
                             << window);
                auto counting = std::make_unique<CountingSource>(octets);
                CountingSource& source = *counting;
                BlockReader ahead(std::move(counting), mode, blksize);
                BlockReader plain(std::make_unique<MemorySource>(octets), mode, blksize);
                bool ended = false;
                for (uint64_t first = 1; !ended && first < 100000; first += window) {
                    const int before = source.reads;
                    {
                        const BlockReader::Ahead run = ahead.readAhead(first, window);
                        for (uint64_t b = first; b < first + window && !ended; ++b) {
                            std::string got, want;
                            REQUIRE(ahead.read(b, got));
                            REQUIRE(plain.read(b, want));
                            REQUIRE(got == want);
                            ended = want.size() < blksize;
                        }
                    }
                    // One read for the window, and one for each block past the cap.
                    const uint64_t covered = std::max<uint64_t>(1, 256 * 1024 / blksize);
                    CHECK(source.reads - before <= 1 + static_cast<int>(window > covered ? window - covered : 0));
                    ahead.forgetBefore(first + window);
                    plain.forgetBefore(first + window);
                }
                CHECK(ended);
            }
        }
    }
}

TEST_CASE("what was read ahead is not used once the window is sent") {
    auto counting = std::make_unique<CountingSource>(std::string(4096, 'a'));
    CountingSource& source = *counting;
    BlockReader reader(std::move(counting), Mode::kOctet, 512);
    { const BlockReader::Ahead run = reader.readAhead(1, 4); }
    std::string block;
    REQUIRE(reader.read(1, block));
    CHECK(source.reads == 2);  // read again: the window's buffer is no longer this reader's
    { const BlockReader::Ahead run = reader.readAhead(1, 1); }
    CHECK(source.reads == 2);  // nothing read ahead for one block
}

TEST_CASE("netascii turns LF into CR LF and CR into CR NUL") {
    std::string out;
    const NetasciiPosition end = encodeNetascii("a\nb\rc", {}, 100, out);
    CHECK(out == std::string("a\r\nb\r\0c", 7));
    CHECK(end.octet == 5);
    CHECK_FALSE(end.carry);
    CHECK(netasciiBlocks("", 512).empty());
}

TEST_CASE("a pair cut at a block edge goes on in the next block") {
    // Block size 4: the CR fills block 1, its LF or NUL opens block 2.
    const std::pair<const char*, std::vector<std::string>> cases[] = {
        {"abc\n", {"abc\r", "\n"}},
        {"abc\r", {"abc\r", std::string(1, '\0')}},
        {"abc\nd", {"abc\r", "\nd"}},
        {"abc\r\n", {"abc\r", std::string("\0\r\n", 3)}},
        {"ab\n", {"ab\r\n", ""}},                    // exactly one block: an empty one ends it
        {"\n\n", {"\r\n\r\n", ""}},
        {"a\n\n", {"a\r\n\r", "\n"}},
        {"abc\r\r\r", {"abc\r", std::string("\0\r\0\r", 4), std::string(1, '\0')}},
    };
    for (const auto& [octets, want] : cases) {
        INFO(octets);
        BlockReader reader(std::make_unique<MemorySource>(octets), Mode::kNetascii, 4);
        CHECK(allBlocks(reader, 4) == want);
    }
}

TEST_CASE("netascii block by block equals the whole conversion, at every block size") {
    std::mt19937 rng(12);
    const char alphabet[] = {'a', '\n', '\r', '\0', 'z'};
    for (int round = 0; round < 300; ++round) {
        std::string octets(rng() % 60, 'x');
        for (char& c : octets) c = alphabet[rng() % sizeof alphabet];
        const std::string want = wholeNetascii(octets);
        for (uint32_t blksize : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 13u, 512u}) {
            INFO("round " << round << " blksize " << blksize);
            BlockReader reader(std::make_unique<MemorySource>(octets), Mode::kNetascii, blksize);
            const auto blocks = allBlocks(reader, blksize);
            CHECK(joined(blocks) == want);
            // The block count follows the converted length, not the file's.
            CHECK(blocks.size() == want.size() / blksize + 1);
        }
    }
}

TEST_CASE("a window of netascii blocks reads the same again, and acknowledged blocks are gone") {
    const std::string octets = "line 1\nline 2\r\nline 3\rend\n";
    BlockReader reader(std::make_unique<MemorySource>(octets), Mode::kNetascii, 5);
    std::vector<std::string> first(5);
    for (uint64_t b = 1; b <= 4; ++b) REQUIRE(reader.read(b, first[b]));
    std::string block;
    CHECK_FALSE(reader.read(6, block));  // block 5's start is not known yet
    reader.forgetBefore(2);              // block 1 acknowledged
    for (uint64_t b = 2; b <= 4; ++b) {
        std::string again;
        REQUIRE(reader.read(b, again));
        CHECK(again == first[b]);
    }
    CHECK_FALSE(reader.read(1, block));
    CHECK(block.empty());
    REQUIRE(reader.read(5, block));
    CHECK(first[1] + first[2] + first[3] + first[4] + block == wholeNetascii(octets).substr(0, 25));
}

TEST_CASE("netascii of a file on disk, across block edges") {
    prov::testing::TempDir dir;
    std::string octets;
    for (int i = 0; i < 2000; ++i) octets += (i % 3 == 0) ? "ab\r\n" : (i % 3 == 1) ? "c\n" : "\rd";
    const std::string path = dir.write("text.txt", octets);
    for (uint32_t blksize : {8u, 511u, 512u, 1428u}) {
        INFO("blksize " << blksize);
        auto file = FileSource::open(path);
        REQUIRE(file);
        BlockReader reader(std::move(file).value(), Mode::kNetascii, blksize);
        CHECK(joined(allBlocks(reader, blksize)) == wholeNetascii(octets));
    }
}

TEST_CASE("a netascii transfer sends the converted bytes, windows and all, without tsize") {
    std::string octets;
    for (int i = 0; i < 300; ++i) octets += (i % 2) ? "key=value\n" : "x\r";
    const std::string want = wholeNetascii(octets);
    Limits limits;
    auto n = negotiate({{"blksize", "100"}, {"windowsize", "4"}, {"tsize", "0"}}, std::nullopt, limits);
    REQUIRE(n);
    CHECK_FALSE(n.value().oack.count("tsize"));
    Transfer t(std::make_unique<MemorySource>(octets), Mode::kNetascii, n.value(), limits);
    Datagrams out;
    t.start(0, out);
    REQUIRE(out.size() == 1);  // the OACK
    out.clear();
    t.onAck(0, 1, out);
    std::string got;
    uint16_t expect = 1;
    for (int round = 0; round < 100 && t.state() == Transfer::State::kRunning; ++round) {
        REQUIRE_FALSE(out.empty());
        uint16_t last = 0;
        for (const auto& d : out) {
            const auto p = std::get<Data>(*parse(d).packet);
            REQUIRE(p.block == expect);
            got += p.payload;
            last = p.block;
            ++expect;
        }
        out.clear();
        t.onAck(last, 2 + round, out);
    }
    CHECK(t.state() == Transfer::State::kDone);
    CHECK(got == want);
    CHECK(t.bytesAcked() == want.size());
}
