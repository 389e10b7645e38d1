// resolver.cc -- DKIM key lookups: TXT queries built and parsed with ldns, sent with Asio
// over UDP (TCP when truncated), retried across servers, cached with their TTL and with
// negative caching, concurrent lookups of one name merged.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>

#include "dkim/dkim.h"
#include "dkim/ldns.h"

namespace repd::dkim {

namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::vector<udp::endpoint> ParseServers(const std::vector<std::string>& configured) {
  std::vector<std::string> texts = configured;
  if (texts.empty()) {
    std::ifstream conf("/etc/resolv.conf");
    std::string line;
    while (std::getline(conf, line)) {
      std::istringstream in(line);
      std::string keyword, address;
      if (in >> keyword >> address && keyword == "nameserver") texts.push_back(address);
    }
  }
  if (texts.empty()) texts.push_back("127.0.0.1");
  std::vector<udp::endpoint> out;
  for (const auto& t : texts) {
    std::string host = t;
    unsigned short port = 53;
    if (!t.empty() && t[0] == '[') {
      size_t close = t.find(']');
      host = t.substr(1, close - 1);
      if (close + 2 < t.size()) port = static_cast<unsigned short>(std::stoi(t.substr(close + 2)));
    } else if (std::count(t.begin(), t.end(), ':') == 1) {
      host = t.substr(0, t.find(':'));
      port = static_cast<unsigned short>(std::stoi(t.substr(t.find(':') + 1)));
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) out.emplace_back(address, port);
  }
  return out;
}

struct Parsed {
  KeyResolver::Answer answer;
  uint32_t ttl = 0;
  bool truncated = false;
  bool valid = false;
};

Parsed ParseResponse(const uint8_t* data, size_t size, uint16_t id, uint32_t negative_ttl) {
  Parsed p;
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) return p;
  if (ldns_pkt_id(pkt) != id || !ldns_pkt_qr(pkt)) {
    ldns_pkt_free(pkt);
    return p;
  }
  p.valid = true;
  p.truncated = ldns_pkt_tc(pkt);
  ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt);
  p.ttl = negative_ttl;
  ldns_rr_list* authority = ldns_pkt_authority(pkt);
  for (size_t i = 0; authority && i < ldns_rr_list_rr_count(authority); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(authority, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 7) {
      p.ttl = std::min(ldns_rr_ttl(rr), ldns_rdf2native_int32(ldns_rr_rdf(rr, 6)));
    }
  }
  if (rcode == LDNS_RCODE_NXDOMAIN) {
    p.answer.status = KeyResolver::Status::kNxDomain;
  } else if (rcode != LDNS_RCODE_NOERROR) {
    p.answer.status = KeyResolver::Status::kTempFail;
    ldns_lookup_table* entry = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode));
    p.answer.error = entry ? entry->name : "DNS error";
    p.ttl = 0;
  } else {
    p.answer.status = KeyResolver::Status::kNoData;
    ldns_rr_list* answers = ldns_pkt_answer(pkt);
    for (size_t i = 0; answers && i < ldns_rr_list_rr_count(answers); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(answers, i);
      if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT) continue;
      std::string txt;
      for (size_t j = 0; j < ldns_rr_rd_count(rr); ++j) {
        ldns_rdf* rdf = ldns_rr_rdf(rr, j);
        const uint8_t* raw = ldns_rdf_data(rdf);
        size_t len = ldns_rdf_size(rdf);
        if (len > 0)
          txt.append(reinterpret_cast<const char*>(raw + 1), std::min<size_t>(raw[0], len - 1));
      }
      p.answer.status = KeyResolver::Status::kOk;
      p.answer.txt = std::move(txt);
      p.ttl = ldns_rr_ttl(rr);
      break;  // several TXT records: the first (RFC 6376 leaves it undefined)
    }
  }
  ldns_pkt_free(pkt);
  return p;
}

class DnsKeyResolver;

// One name being looked up: attempts over the servers, each over UDP then TCP if truncated.
class Query : public std::enable_shared_from_this<Query> {
 public:
  Query(DnsKeyResolver& owner, asio::io_context& io, std::string name)
      : owner_(owner),
        strand_(asio::make_strand(io)),
        udp_(strand_),
        tcp_(strand_),
        timer_(strand_),
        name_(std::move(name)) {}
  void Start() {
    asio::post(strand_, [self = shared_from_this()] { self->Attempt(); });
  }

 private:
  void Attempt();
  void OnUdp(boost::system::error_code ec, size_t n, int attempt);
  void Tcp(int attempt);
  void Done(KeyResolver::Answer answer, uint32_t ttl);

  DnsKeyResolver& owner_;
  asio::strand<asio::io_context::executor_type> strand_;
  udp::socket udp_;
  tcp::socket tcp_;
  asio::steady_timer timer_;
  std::string name_;
  std::string wire_;
  uint16_t id_ = 0;
  int attempt_ = 0;
  bool finished_ = false;
  std::array<uint8_t, 4096> buffer_{};
  std::string tcp_buffer_;
  udp::endpoint from_;
};

class DnsKeyResolver final : public KeyResolver {
 public:
  DnsKeyResolver(asio::io_context& io, const ResolverOptions& options)
      : io_(io),
        options_(options),
        servers_(ParseServers(options.servers)),
        rng_(std::random_device{}()) {}

  void Lookup(const std::string& name, Callback callback) override {
    std::string key = name;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::lock_guard lock(mu_);
    auto cached = cache_.find(key);
    if (cached != cache_.end() && cached->second.expires > Clock::now()) {
      asio::post(io_, [cb = std::move(callback), a = cached->second.answer] { cb(a); });
      return;
    }
    auto& waiting = inflight_[key];
    waiting.push_back(std::move(callback));
    if (waiting.size() > 1) return;  // the lookup under way answers this one too
    std::make_shared<Query>(*this, io_, key)->Start();
  }

  void Complete(const std::string& name, Answer answer, uint32_t ttl) {
    std::vector<Callback> callbacks;
    {
      std::lock_guard lock(mu_);
      if (ttl > 0) {
        if (cache_.size() >= options_.cache_entries) cache_.erase(cache_.begin());
        cache_[name] = {answer, Clock::now() + std::chrono::seconds(ttl)};
      }
      callbacks = std::move(inflight_[name]);
      inflight_.erase(name);
    }
    for (auto& cb : callbacks) cb(answer);
  }

  uint16_t NextId() {
    std::lock_guard lock(mu_);
    return static_cast<uint16_t>(rng_());
  }
  const std::vector<udp::endpoint>& servers() const { return servers_; }
  const ResolverOptions& options() const { return options_; }

 private:
  struct Entry {
    Answer answer;
    Clock::time_point expires;
  };
  asio::io_context& io_;
  ResolverOptions options_;
  std::vector<udp::endpoint> servers_;
  std::mutex mu_;
  std::mt19937 rng_;
  std::map<std::string, Entry> cache_;
  std::map<std::string, std::vector<Callback>> inflight_;
};

void Query::Attempt() {
  const int total = owner_.options().attempts * static_cast<int>(owner_.servers().size());
  if (attempt_ >= total || owner_.servers().empty()) {
    Done({KeyResolver::Status::kTempFail, "", "DNS timeout"}, 0);
    return;
  }
  int attempt = attempt_++;
  const udp::endpoint& server =
      owner_.servers()[static_cast<size_t>(attempt) % owner_.servers().size()];
  id_ = owner_.NextId();
  ldns_rdf* qname = ldns_dname_new_frm_str(name_.c_str());
  if (qname == nullptr) {
    Done({KeyResolver::Status::kNxDomain, "", "not a DNS name"}, 0);
    return;
  }
  ldns_pkt* pkt = ldns_pkt_query_new(qname, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(pkt, id_);
  ldns_pkt_set_edns_udp_size(pkt, 1232);
  uint8_t* wire = nullptr;
  size_t size = 0;
  ldns_pkt2wire(&wire, pkt, &size);
  wire_.assign(reinterpret_cast<char*>(wire), size);
  LDNS_FREE(wire);
  ldns_pkt_free(pkt);
  boost::system::error_code ec;
  if (udp_.is_open()) udp_.close(ec);
  udp_.open(server.protocol(), ec);
  if (ec) {
    Attempt();
    return;
  }
  auto self = shared_from_this();
  udp_.async_send_to(asio::buffer(wire_), server, [](boost::system::error_code, size_t) {});
  udp_.async_receive_from(
      asio::buffer(buffer_), from_,
      [self, attempt](boost::system::error_code e, size_t n) { self->OnUdp(e, n, attempt); });
  timer_.expires_after(std::chrono::milliseconds(owner_.options().timeout_ms));
  timer_.async_wait([self, attempt](boost::system::error_code e) {
    if (e || self->finished_ || self->attempt_ != attempt + 1) return;
    boost::system::error_code ignored;
    self->udp_.close(ignored);
    self->tcp_.close(ignored);
    self->Attempt();
  });
}

void Query::OnUdp(boost::system::error_code ec, size_t n, int attempt) {
  if (finished_ || attempt_ != attempt + 1 || ec) return;  // the timer handles retries
  Parsed p =
      ParseResponse(buffer_.data(), n, id_, static_cast<uint32_t>(owner_.options().negative_ttl_s));
  if (!p.valid) {  // not our answer: keep listening
    auto self = shared_from_this();
    udp_.async_receive_from(
        asio::buffer(buffer_), from_,
        [self, attempt](boost::system::error_code e, size_t m) { self->OnUdp(e, m, attempt); });
    return;
  }
  if (p.truncated) {
    Tcp(attempt);
    return;
  }
  timer_.cancel();
  Done(std::move(p.answer), p.ttl);
}

void Query::Tcp(int attempt) {
  auto self = shared_from_this();
  const udp::endpoint& server =
      owner_.servers()[static_cast<size_t>(attempt) % owner_.servers().size()];
  tcp_buffer_.assign(2, '\0');
  tcp_buffer_[0] = static_cast<char>(wire_.size() >> 8);
  tcp_buffer_[1] = static_cast<char>(wire_.size() & 0xff);
  tcp_buffer_ += wire_;
  tcp_.async_connect(
      tcp::endpoint(server.address(), server.port()),
      [self, attempt](boost::system::error_code ec) {
        if (ec || self->finished_ || self->attempt_ != attempt + 1) return;
        asio::async_write(
            self->tcp_, asio::buffer(self->tcp_buffer_),
            [self, attempt](boost::system::error_code e, size_t) {
              if (e || self->finished_) return;
              asio::async_read(
                  self->tcp_, asio::buffer(self->buffer_.data(), 2),
                  [self, attempt](boost::system::error_code e2, size_t) {
                    if (e2 || self->finished_) return;
                    size_t len = (size_t{self->buffer_[0]} << 8) | self->buffer_[1];
                    self->tcp_buffer_.assign(len, '\0');
                    asio::async_read(
                        self->tcp_, asio::buffer(self->tcp_buffer_),
                        [self, attempt](boost::system::error_code e3, size_t m) {
                          if (e3 || self->finished_ || self->attempt_ != attempt + 1) return;
                          Parsed p = ParseResponse(
                              reinterpret_cast<const uint8_t*>(self->tcp_buffer_.data()), m,
                              self->id_,
                              static_cast<uint32_t>(self->owner_.options().negative_ttl_s));
                          if (!p.valid) return;
                          self->timer_.cancel();
                          self->Done(std::move(p.answer), p.ttl);
                        });
                  });
            });
      });
}

void Query::Done(KeyResolver::Answer answer, uint32_t ttl) {
  if (finished_) return;
  finished_ = true;
  boost::system::error_code ignored;
  udp_.close(ignored);
  tcp_.close(ignored);
  owner_.Complete(name_, std::move(answer), ttl);
}

}  // namespace

std::unique_ptr<KeyResolver> MakeDnsKeyResolver(boost::asio::io_context& io,
                                                const ResolverOptions& options) {
  return std::make_unique<DnsKeyResolver>(io, options);
}

}  // namespace repd::dkim
