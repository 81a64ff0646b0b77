#include "provisioner/tls/crypto.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <string>

using prov::tls::Sha256Hasher;

TEST_CASE("sha256Hex gives the FIPS 180-2 digest of abc") {
    Sha256Hasher hasher;
    CHECK(hasher.sha256Hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("md5Hex gives the RFC 1321 test-suite digests") {
    Sha256Hasher hasher;
    CHECK(hasher.md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(hasher.md5Hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(hasher.md5Hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST_CASE("hmacSha256Hex gives the RFC 4231 test-case digests") {
    Sha256Hasher hasher;
    SECTION("case 2: a key shorter than the block") {
        CHECK(hasher.hmacSha256Hex("Jefe", "what do ya want for nothing?") ==
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
    SECTION("case 6: a key longer than the block is hashed first") {
        CHECK(hasher.hmacSha256Hex(std::string(131, '\xaa'),
                                   "Test Using Larger Than Block-Size Key - Hash Key First") ==
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
    SECTION("the key matters") {
        CHECK(hasher.hmacSha256Hex("Jefe", "x") != hasher.hmacSha256Hex("Jeff", "x"));
    }
}

TEST_CASE("AES-128-ECB: the FIPS-197 example") {
    // FIPS-197 appendix C.1: key 000102...0f, plaintext 00112233...ff.
    std::string key, plain;
    for (int i = 0; i < 16; ++i) key.push_back(static_cast<char>(i));
    for (int i = 0; i < 16; ++i) plain.push_back(static_cast<char>(i * 0x11));
    const std::string out = prov::tls::AesCipher().aes128Ecb(key, plain + plain);
    static const unsigned char kWant[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                            0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    REQUIRE(out.size() == 32);
    CHECK(out.substr(0, 16) == std::string(reinterpret_cast<const char*>(kWant), 16));
    CHECK(out.substr(16) == out.substr(0, 16));  // ECB: the same block, the same bytes
    CHECK_THROWS(prov::tls::AesCipher().aes128Ecb(key, "not a block"));
}

TEST_CASE("Sha256Stream gives the one-shot digest whatever the pieces") {
    Sha256Hasher hasher;
    // FIPS 180-2's two-block message, then a megabyte of a pattern split unevenly.
    const std::string two_block = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    std::string pattern;
    for (int i = 0; i < (1 << 20); ++i) pattern.push_back(static_cast<char>(i * 7 + 3));
    const std::string big = pattern;
    for (const std::string* data : {&two_block, &big}) {
        for (size_t piece : {size_t{1}, size_t{63}, size_t{64}, size_t{65536}, data->size()}) {
            prov::tls::Sha256Stream stream;
            for (size_t at = 0; at < data->size(); at += piece)
                stream.update(data->data() + at, std::min(piece, data->size() - at));
            CHECK(stream.bytes() == data->size());
            CHECK(stream.hexDigest() == hasher.sha256Hex(*data));
        }
    }
    prov::tls::Sha256Stream two;
    two.update(two_block.data(), two_block.size());
    CHECK(two.hexDigest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
