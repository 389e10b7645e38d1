// wire.h -- DNS wire-format constants, name helpers and the bounded writer answers are built
// with. Everything here works on caller-owned buffers: the query path never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace repd::dnsbl {

enum RrType : uint16_t {
  kTypeA = 1,
  kTypeNS = 2,
  kTypeCNAME = 5,
  kTypeSOA = 6,
  kTypeMAILB = 253,
  kTypeMAILA = 254,
  kTypeTXT = 16,
  kTypeAAAA = 28,
  kTypeOPT = 41,
  kTypeTKEY = 249,
  kTypeTSIG = 250,
  kTypeIXFR = 251,
  kTypeAXFR = 252,
  kTypeANY = 255,
};

enum RrClass : uint16_t { kClassIN = 1, kClassANY = 255 };

enum Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kNotAuth = 9,
  kBadVers = 16,  // extended (EDNS): 4 low bits in the header, the rest in the OPT TTL
};

enum Opcode : uint8_t { kOpQuery = 0, kOpNotify = 4 };

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxName = 255;
inline constexpr size_t kMaxLabels = 128;

// Header flag bits (second 16-bit word).
inline constexpr uint16_t kFlagQR = 0x8000;
inline constexpr uint16_t kFlagAA = 0x0400;
inline constexpr uint16_t kFlagTC = 0x0200;
inline constexpr uint16_t kFlagRD = 0x0100;
inline constexpr uint16_t kFlagRA = 0x0080;
inline constexpr uint16_t kFlagCD = 0x0010;

inline uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline uint8_t AsciiLower(uint8_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// "bl.repd.test" (a trailing dot is accepted) -> lower-case wire form, or nullopt when a label
// is empty or too long, or the name is too long. "" and "." are the root.
std::optional<std::string> NameToWire(std::string_view text);
// Wire form -> "bl.repd.test" (no trailing dot; the root is "."), escaping per RFC 1035
// master-file rules so that any label survives a zone file.
std::string WireToName(const uint8_t* wire);

// Appends to a fixed buffer; once something does not fit, every later call is ignored and
// overflow() is true, so builders check once at the end.
class Writer {
 public:
  Writer(uint8_t* buf, size_t capacity) : buf_(buf), cap_(capacity) {}

  void U8(uint8_t v) {
    if (Room(1)) buf_[len_++] = v;
  }
  void U16(uint16_t v) {
    if (Room(2)) {
      Put16(buf_ + len_, v);
      len_ += 2;
    }
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void Bytes(const void* data, size_t n) {
    if (n > 0 && Room(n)) {
      std::memcpy(buf_ + len_, data, n);
      len_ += n;
    }
  }
  // A compression pointer to an earlier offset of this message.
  void Pointer(size_t offset) { U16(static_cast<uint16_t>(0xC000 | offset)); }
  // Overwrites two bytes already written (counts, RDLENGTH).
  void Patch16(size_t at, uint16_t v) {
    if (at + 2 <= len_) Put16(buf_ + at, v);
  }
  // Forgets everything after `size` (and a past overflow): used to roll back to a shorter
  // message when a section does not fit.
  void Truncate(size_t size) {
    len_ = size;
    overflow_ = false;
  }

  size_t size() const { return len_; }
  bool overflow() const { return overflow_; }
  uint8_t* data() { return buf_; }

 private:
  bool Room(size_t n) {
    if (overflow_ || len_ + n > cap_) {
      overflow_ = true;
      return false;
    }
    return true;
  }
  uint8_t* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool overflow_ = false;
};

// A name written after the question as "its own leading labels + a pointer into the zone apex
// of the question": the apex sits at a known offset of every answer, so names such as
// "hostmaster.bl.repd.test" or "ns1.repd.test" compress without a search per answer.
struct CompressedName {
  std::string prefix;    // wire labels written as they are
  int apex_suffix = -1;  // offset inside the apex wire form to point at; -1: none (root)
  void Write(Writer& w, size_t apex_offset) const {
    w.Bytes(prefix.data(), prefix.size());
    if (apex_suffix >= 0) {
      w.Pointer(apex_offset + static_cast<size_t>(apex_suffix));
    } else {
      w.U8(0);
    }
  }
};
// Splits `name_wire` against `apex_wire` (both lower-case wire forms): the longest common
// label-aligned suffix becomes the pointer.
CompressedName CompressAgainst(std::string_view name_wire, std::string_view apex_wire);

}  // namespace repd::dnsbl
