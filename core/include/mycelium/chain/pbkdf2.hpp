// PBKDF2 (RFC 8018, section 5.2) with HMAC-SHA-512, the key stretching of BIP39 and of
// substrate-bip39. libsodium has HMAC-SHA-512 (crypto_auth_hmacsha512) but no PBKDF2.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mycelium::chain {

// Writes out_size bytes of PBKDF2-HMAC-SHA512(password, salt, iterations) to out. The
// password may be any length (HMAC hashes a key longer than a block). iterations >= 1.
void pbkdf2_hmac_sha512(const std::uint8_t *password, std::size_t password_size,
                        const std::uint8_t *salt, std::size_t salt_size, std::uint32_t iterations,
                        std::uint8_t *out, std::size_t out_size);

} // namespace mycelium::chain
