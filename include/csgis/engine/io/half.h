// IEEE binary16 (f16) and bfloat16 <-> float32 conversion on raw bit patterns. Storage-format
// helpers for reading/writing half-precision files on the host; done with integer code rather
// than _Float16/__fp16 so the result is identical on every compiler and CPU.
// float32 -> half rounds to nearest, ties to even (what every hardware converter does); NaNs stay
// NaN (quiet bit forced, payload's top bits kept) and never collapse to infinity.
#pragma once
#include <cstdint>
#include <cstring>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// f16 layout: 1 sign, 5 exponent (bias 15), 10 mantissa. float32: 1, 8 (bias 127), 23.
inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (mant << 13));  // inf / NaN
  if (exp == 0) {
    if (mant == 0) return f32_from_bits(sign);  // signed zero
    // Subnormal (mant * 2^-24): every f16 subnormal is a normal float32. Shift the leading 1 up to
    // the implicit-bit position, lowering the exponent once per shift.
    int e = 113;  // biased float32 exponent of 2^-14, the f16 subnormal scale
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    return f32_from_bits(sign | (uint32_t(e) << 23) | ((mant & 0x3ff) << 13));
  }
  return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));  // rebias 15 -> 127
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_bits(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return uint16_t(sign | 0x7e00 | ((a >> 13) & 0x3ff));  // NaN, kept quiet
  // 65520 (0x477ff000) is halfway between 65504 (largest f16, odd mantissa) and 2^16: ties to
  // even round it, and everything above, to infinity.
  if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00);
  if (a < 0x38800000u) {
    // Below 2^-14: result is f16 subnormal (or zero) = round(value * 2^24). With the implicit bit
    // restored, value * 2^24 = m >> (126 - e).
    const uint32_t e = a >> 23;
    const uint32_t shift = 126 - e;  // >= 14 here
    if (shift > 24) return sign;     // < 2^-25 (half the smallest subnormal): rounds to zero
    const uint32_t m = (a & 0x7fffff) | 0x800000;
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;  // may carry into the smallest normal: fine
    return uint16_t(sign | r);
  }
  // Normal: rebias, drop 13 mantissa bits with round-to-nearest-even. A carry out of the mantissa
  // correctly bumps the exponent (and cannot reach infinity thanks to the check above).
  uint32_t h = ((a >> 23) - 112) << 10 | ((a >> 13) & 0x3ff);
  const uint32_t rem = a & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return uint16_t(sign | h);
}

// bfloat16 is the top half of a float32, so widening is a shift.
inline float bf16_to_f32(uint16_t b) { return f32_from_bits(uint32_t(b) << 16); }

inline uint16_t f32_to_bf16(float f) {
  const uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x0040);  // NaN, kept quiet
  // Round to nearest even: add 0x7fff plus the lowest kept bit; overflow lands on infinity.
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

}  // namespace csgis
#pragma GCC visibility pop
