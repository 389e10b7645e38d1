#include "reputation/evidence.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace repd::reputation {

double DecayedSum::At(int64_t now, double half_life_s) const {
  if (value == 0 || now <= updated) return value;
  // In double: times come from disk and must not overflow whatever they hold.
  return value *
         std::exp2(-(static_cast<double>(now) - static_cast<double>(updated)) / half_life_s);
}

void DecayedSum::Add(double amount, int64_t time, double half_life_s) {
  if (time >= updated) {
    value = At(time, half_life_s) + amount;
    updated = time;
  } else {
    // A late event counts as much as it would still weigh now.
    value += amount *
             std::exp2(-(static_cast<double>(updated) - static_cast<double>(time)) / half_life_s);
  }
}

namespace {

constexpr uint8_t kRecordVersion = 1;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, sizeof v); }
  void I64(int64_t v) { Raw(&v, sizeof v); }
  void F64(double v) { Raw(&v, sizeof v); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) { return Raw(v, 1); }
  bool U32(uint32_t* v) { return Raw(v, sizeof *v); }
  bool I64(int64_t* v) { return Raw(v, sizeof *v); }
  bool F64(double* v) { return Raw(v, sizeof *v) && std::isfinite(*v); }
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  bool Raw(void* p, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

void WriteReporters(Writer& w, const std::map<std::string, ReporterEvidence, std::less<>>& m) {
  w.U32(static_cast<uint32_t>(m.size()));
  for (const auto& [name, ev] : m) {
    w.Str(name);
    for (const auto& s : ev.sums) {
      w.F64(s.value);
      w.I64(s.updated);
    }
    w.I64(ev.cap_day);
    for (double u : ev.cap_used) w.F64(u);
  }
}

bool ReadReporters(Reader& r, std::map<std::string, ReporterEvidence, std::less<>>* m) {
  uint32_t n;
  if (!r.U32(&n) || n > 100000) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string name;
    ReporterEvidence ev;
    if (!r.Str(&name)) return false;
    for (auto& s : ev.sums) {
      if (!r.F64(&s.value) || !r.I64(&s.updated)) return false;
    }
    if (!r.I64(&ev.cap_day)) return false;
    for (double& u : ev.cap_used) {
      if (!r.F64(&u)) return false;
    }
    (*m)[std::move(name)] = ev;
  }
  return true;
}

bool IsBad(EventType t) { return !IsVolume(t); }

void ApplyIncrement(const Increment& inc, const HalfLives& hl, Record* record) {
  auto& ev = record->reporters[inc.reporter];
  double raw = inc.raw;
  if (inc.cap > 0) {
    int64_t day = inc.time / 86400;
    if (day > ev.cap_day) {
      ev.cap_day = day;
      ev.cap_used.fill(0);
    }
    // Backdated events count against the current day's allowance: no way around the cap.
    auto& used = ev.cap_used[static_cast<size_t>(inc.type)];
    raw = std::max(0.0, std::min(raw, inc.cap - used));
    used += raw;
  }
  if (record->first_seen == 0 || inc.time < record->first_seen) record->first_seen = inc.time;
  record->last_seen = std::max(record->last_seen, inc.time);
  if (raw <= 0) return;
  size_t t = static_cast<size_t>(inc.type);
  ev.sums[t].Add(raw * inc.weight, inc.time, hl[t]);
  if (IsBad(inc.type)) record->last_bad = std::max(record->last_bad, inc.time);
  if (!inc.domain.empty()) {
    record->verified_volume_ever += raw;
    auto& d = record->domains;
    if (std::find(d.begin(), d.end(), inc.domain) == d.end()) {
      if (d.size() >= kMaxDomainsPerIp) d.erase(d.begin());
      d.push_back(inc.domain);
    }
  }
}

}  // namespace

std::string EncodeIncrements(absl::Span<const Increment> increments) {
  Writer w;
  w.U8(static_cast<uint8_t>(OperandKind::kIncrements));
  w.U32(static_cast<uint32_t>(increments.size()));
  for (const auto& inc : increments) {
    w.Str(inc.reporter);
    w.U8(static_cast<uint8_t>(inc.type));
    w.I64(inc.time);
    w.F64(inc.raw);
    w.F64(inc.weight);
    w.F64(inc.cap);
    w.Str(inc.domain);
  }
  return w.Take();
}

std::string EncodeSetListed(uint32_t categories, int64_t time, double relist_window_s) {
  Writer w;
  w.U8(static_cast<uint8_t>(OperandKind::kSetListed));
  w.U32(categories);
  w.I64(time);
  w.F64(relist_window_s);
  return w.Take();
}

std::string EncodeDelist(int64_t time) {
  Writer w;
  w.U8(static_cast<uint8_t>(OperandKind::kDelist));
  w.I64(time);
  return w.Take();
}

std::string EncodeRecord(const Record& rec) {
  Writer w;
  w.U8(kRecordVersion);
  w.I64(rec.first_seen);
  w.I64(rec.last_seen);
  w.I64(rec.last_bad);
  w.F64(rec.verified_volume_ever);
  WriteReporters(w, rec.reporters);
  WriteReporters(w, rec.set_aside);
  w.U32(static_cast<uint32_t>(rec.domains.size()));
  for (const auto& d : rec.domains) w.Str(d);
  w.U32(rec.listed);
  w.I64(rec.listed_since);
  w.I64(rec.delisted_at);
  w.U32(static_cast<uint32_t>(rec.relisted.size()));
  for (int64_t t : rec.relisted) w.I64(t);
  return w.Take();
}

bool DecodeRecord(std::string_view data, Record* rec) {
  *rec = Record{};
  Reader r(data);
  uint8_t version;
  if (!r.U8(&version) || version != kRecordVersion) return false;
  if (!r.I64(&rec->first_seen) || !r.I64(&rec->last_seen) || !r.I64(&rec->last_bad) ||
      !r.F64(&rec->verified_volume_ever) || !ReadReporters(r, &rec->reporters) ||
      !ReadReporters(r, &rec->set_aside)) {
    return false;
  }
  uint32_t n;
  if (!r.U32(&n) || n > kMaxDomainsPerIp) return false;
  rec->domains.resize(n);
  for (auto& d : rec->domains) {
    if (!r.Str(&d)) return false;
  }
  if (!r.U32(&rec->listed) || !r.I64(&rec->listed_since) || !r.I64(&rec->delisted_at) ||
      !r.U32(&n) || n > 1000) {
    return false;
  }
  rec->relisted.resize(n);
  for (auto& t : rec->relisted) {
    if (!r.I64(&t)) return false;
  }
  return r.done();
}

bool ApplyOperand(std::string_view operand, const HalfLives& hl, Record* rec) {
  Reader r(operand);
  uint8_t kind;
  if (!r.U8(&kind)) return false;
  switch (static_cast<OperandKind>(kind)) {
    case OperandKind::kIncrements: {
      uint32_t n;
      if (!r.U32(&n)) return false;
      for (uint32_t i = 0; i < n; ++i) {
        Increment inc;
        uint8_t type;
        if (!r.Str(&inc.reporter) || !r.U8(&type) || type >= kEventTypeCount || !r.I64(&inc.time) ||
            !r.F64(&inc.raw) || !r.F64(&inc.weight) || !r.F64(&inc.cap) || !r.Str(&inc.domain)) {
          return false;
        }
        inc.type = static_cast<EventType>(type);
        if (inc.raw < 0 || inc.weight < 0 || inc.weight > 1 || inc.cap < 0 || inc.time < 0) {
          return false;
        }
        ApplyIncrement(inc, hl, rec);
      }
      return r.done();
    }
    case OperandKind::kSetListed: {
      uint32_t categories;
      int64_t time;
      double window;
      if (!r.U32(&categories) || !r.I64(&time) || !r.F64(&window)) return false;
      if (categories != 0 && rec->listed == 0) {
        rec->listed_since = time;
        if (rec->delisted_at > 0 && time - rec->delisted_at < window) {
          rec->relisted.push_back(time);
        }
      }
      rec->listed = categories;
      return r.done();
    }
    case OperandKind::kDelist: {
      int64_t time;
      if (!r.I64(&time)) return false;
      // Bad evidence moves aside (kept for audit); volume stays, it is the sender's own.
      for (auto& [name, ev] : rec->reporters) {
        auto& aside = rec->set_aside[name];
        for (size_t t = 0; t < ev.sums.size(); ++t) {
          if (!IsBad(static_cast<EventType>(t))) continue;
          aside.sums[t].value += ev.sums[t].value;
          aside.sums[t].updated = std::max(aside.sums[t].updated, ev.sums[t].updated);
          ev.sums[t] = DecayedSum{};
        }
      }
      rec->delisted_at = time;
      rec->listed = 0;
      return r.done();
    }
    default:
      return false;
  }
}

}  // namespace repd::reputation
