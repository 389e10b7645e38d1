#include "tests/dkim/fake_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <stdexcept>

#include "dkim/ldns.h"

namespace repd::dkim::testing {

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

std::map<std::string, FakeRecord> FakeDns::LoadMailDkimFile(const std::string& path) {
  std::map<std::string, FakeRecord> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.find_first_of(" \t");
    if (space == std::string::npos) continue;
    std::string name = Lower(line.substr(0, space));
    std::string rest = line.substr(line.find_first_not_of(" \t", space));
    FakeRecord r;
    if (rest == "NXDOMAIN")
      r.kind = FakeRecord::Kind::kNxDomain;
    else if (rest.find("~~Query timed out~~") == 0)
      r.kind = FakeRecord::Kind::kTimeout;
    else if (rest.find("~~SERVFAIL~~") == 0)
      r.kind = FakeRecord::Kind::kServFail;
    else
      r.txt = rest == "\"\"" ? "" : rest;
    out[name] = r;
  }
  return out;
}

FakeDns::FakeDns(std::map<std::string, FakeRecord> records) {
  for (auto& [name, r] : records) records_[Lower(name)] = r;
  for (int attempt = 0; attempt < 50 && port_ == 0; ++attempt) {
    udp_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(udp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len);
    tcp_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(tcp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(tcp_, 16) == 0) {
      port_ = ntohs(addr.sin_port);
    } else {
      close(udp_);
      close(tcp_);
    }
  }
  if (port_ == 0) throw std::runtime_error("fake DNS: no port");
  thread_ = std::thread([this] { Serve(); });
}

FakeDns::~FakeDns() {
  stop_ = true;
  thread_.join();
  close(udp_);
  close(tcp_);
}

std::string FakeDns::Answer(const std::string& query, bool tcp) {
  ldns_pkt* q = nullptr;
  if (ldns_wire2pkt(&q, reinterpret_cast<const uint8_t*>(query.data()), query.size()) !=
      LDNS_STATUS_OK) {
    return {};
  }
  ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
  if (question == nullptr) {
    ldns_pkt_free(q);
    return {};
  }
  char* owner_text = ldns_rdf2str(ldns_rr_owner(question));
  std::string name = Lower(owner_text);
  free(owner_text);
  ldns_pkt* r = ldns_pkt_new();
  ldns_pkt_set_id(r, ldns_pkt_id(q));
  ldns_pkt_set_qr(r, true);
  ldns_pkt_set_aa(r, true);
  ldns_pkt_set_rd(r, ldns_pkt_rd(q));
  ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
  auto it = records_.find(name);
  std::string out;
  if (it != records_.end() && it->second.kind == FakeRecord::Kind::kTimeout) {
    ldns_pkt_free(q);
    ldns_pkt_free(r);
    return {};
  }
  if (it == records_.end() || it->second.kind == FakeRecord::Kind::kNxDomain) {
    ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
  } else if (it->second.kind == FakeRecord::Kind::kServFail) {
    ldns_pkt_set_rcode(r, LDNS_RCODE_SERVFAIL);
  } else if (ldns_rr_get_type(question) == LDNS_RR_TYPE_TXT) {
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(question)));
    ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, 300);
    const std::string& txt = it->second.txt;
    size_t pos = 0;
    do {
      std::string piece = txt.substr(pos, 255);
      std::string data(1, static_cast<char>(piece.size()));
      data += piece;
      ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, data.size(), data.data()));
      pos += 255;
    } while (pos < txt.size());
    ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
  }
  uint8_t* wire = nullptr;
  size_t size = 0;
  ldns_pkt2wire(&wire, r, &size);
  out.assign(reinterpret_cast<char*>(wire), size);
  LDNS_FREE(wire);
  // Over UDP, an answer over 512 octets (no EDNS here) is truncated: the client uses TCP.
  if (!tcp && out.size() > 512) {
    ldns_pkt* t = ldns_pkt_new();
    ldns_pkt_set_id(t, ldns_pkt_id(q));
    ldns_pkt_set_qr(t, true);
    ldns_pkt_set_tc(t, true);
    ldns_pkt_push_rr(t, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
    ldns_pkt2wire(&wire, t, &size);
    out.assign(reinterpret_cast<char*>(wire), size);
    LDNS_FREE(wire);
    ldns_pkt_free(t);
  }
  ldns_pkt_free(q);
  ldns_pkt_free(r);
  return out;
}

void FakeDns::Serve() {
  while (!stop_) {
    pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
    if (poll(fds, 2, 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      char buf[4096];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) {
        ++queries_;
        std::string answer = Answer(std::string(buf, static_cast<size_t>(n)), false);
        if (!answer.empty()) {
          sendto(udp_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
    }
    if (fds[1].revents & POLLIN) {
      int c = accept(tcp_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      unsigned char hdr[2];
      if (recv(c, hdr, 2, MSG_WAITALL) == 2) {
        size_t len = (size_t{hdr[0]} << 8) | hdr[1];
        std::string query(len, '\0');
        if (recv(c, query.data(), len, MSG_WAITALL) == static_cast<ssize_t>(len)) {
          ++queries_;
          ++tcp_queries_;
          std::string answer = Answer(query, true);
          if (!answer.empty()) {
            unsigned char out_hdr[2] = {static_cast<unsigned char>(answer.size() >> 8),
                                        static_cast<unsigned char>(answer.size() & 0xff)};
            send(c, out_hdr, 2, MSG_NOSIGNAL);
            send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
          }
        }
      }
      close(c);
    }
  }
}

}  // namespace repd::dkim::testing
