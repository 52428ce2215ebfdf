#include "mycelium/chain/pbkdf2.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <algorithm>

namespace mycelium::chain {

void pbkdf2_hmac_sha512(const std::uint8_t *password, std::size_t password_size,
                        const std::uint8_t *salt, std::size_t salt_size, std::uint32_t iterations,
                        std::uint8_t *out, std::size_t out_size) {
  if (iterations == 0)
    throw Error(sqlstate::kInvalidParameterValue, "PBKDF2: the iteration count must be at least 1");
  ensure_sodium();
  constexpr std::size_t kBlock = crypto_auth_hmacsha512_BYTES;
  // The password is keyed into HMAC once; every HMAC below starts from a copy of this state.
  crypto_auth_hmacsha512_state keyed;
  crypto_auth_hmacsha512_init(&keyed, password, password_size);

  crypto_auth_hmacsha512_state state;
  std::uint8_t u[kBlock];
  std::uint8_t t[kBlock];
  for (std::uint32_t block = 1; out_size > 0; ++block) {
    // U1 = HMAC(password, salt || INT32_BE(block)); T = U1 ^ U2 ^ ... ^ U_iterations.
    const std::uint8_t index[4] = {
        static_cast<std::uint8_t>(block >> 24), static_cast<std::uint8_t>(block >> 16),
        static_cast<std::uint8_t>(block >> 8), static_cast<std::uint8_t>(block)};
    state = keyed;
    crypto_auth_hmacsha512_update(&state, salt, salt_size);
    crypto_auth_hmacsha512_update(&state, index, sizeof index);
    crypto_auth_hmacsha512_final(&state, u);
    std::copy(u, u + kBlock, t);
    for (std::uint32_t i = 1; i < iterations; ++i) {
      state = keyed;
      crypto_auth_hmacsha512_update(&state, u, kBlock);
      crypto_auth_hmacsha512_final(&state, u);
      for (std::size_t b = 0; b < kBlock; ++b)
        t[b] ^= u[b];
    }
    const std::size_t take = std::min(out_size, kBlock);
    std::copy(t, t + take, out);
    out += take;
    out_size -= take;
  }
  sodium_memzero(&keyed, sizeof keyed);
  sodium_memzero(&state, sizeof state);
  sodium_memzero(u, sizeof u);
  sodium_memzero(t, sizeof t);
}

} // namespace mycelium::chain
