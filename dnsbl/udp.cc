#include "dnsbl/udp.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "dnsbl/tsig.h"

namespace repd::dnsbl {

namespace {

using boost::asio::ip::udp;

constexpr size_t kBatch = 64;
// Queries larger than this are not DNSBL queries; they arrive truncated and get no answer.
constexpr size_t kMaxQuery = 1536;
// Batches drained per wake-up before yielding to other work of the io_context.
constexpr int kRoundsPerWake = 16;

class UdpListenerImpl final : public UdpListener,
                              public std::enable_shared_from_this<UdpListenerImpl> {
 public:
  // Owns `fd`, the bound socket, and `poller`, an epoll set for it alone.
  UdpListenerImpl(boost::asio::io_context& io, int fd, int poller, const udp::endpoint& local,
                  ServerContext& context)
      : fd_(fd), local_(local), poller_(io, poller), context_(context) {
    out_capacity_ = std::max<size_t>(context.zones.options().max_udp_payload, 512);
    out_.reset(new uint8_t[kBatch * out_capacity_]);
    for (size_t i = 0; i < kBatch; ++i) {
      in_iov_[i] = {in_[i].data(), kMaxQuery};
      in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
      in_msgs_[i].msg_hdr.msg_iovlen = 1;
      in_msgs_[i].msg_hdr.msg_name = &peers_[i];
    }
  }
  ~UdpListenerImpl() override {
    if (fd_ >= 0) close(fd_);
  }

  void Start() override {
    Watch();
    Arm();
  }
  void Stop() override {
    boost::system::error_code ignored;
    poller_.close(ignored);
  }
  udp::endpoint local_endpoint() const override { return local_; }

 private:
  // The socket sits in an epoll set of its own, for EPOLLIN alone: registered with asio it
  // would also be watched for EPOLLOUT, and pay a wake-up on every answer it sends (the kernel
  // signals "writable" as each sent packet is freed).
  void Watch() {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLET;
    epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd_, &event);
  }

  // asio forgets an edge that comes while no wait is queued, so the socket is drained once
  // more after the wait is queued: a query that arrived in between is answered now, and any
  // later one fires the wait.
  void Arm() {
    poller_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         if (ec) return;  // stopped
                         self->Drain();
                         self->Arm();
                         self->Drain();
                       });
  }

  void Drain() {
    const int fd = fd_;
    for (int round = 0; round < kRoundsPerWake; ++round) {
      for (size_t i = 0; i < kBatch; ++i) {
        in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        in_msgs_[i].msg_hdr.msg_flags = 0;
      }
      const int n = recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      const auto start = std::chrono::steady_clock::now();
      const auto snapshot = context_.index.Current();
      const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
      unsigned out = 0;
      for (int i = 0; i < n; ++i) {
        out += Answer(static_cast<size_t>(i), *snapshot, now, out);
      }
      Send(fd, out);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (unsigned i = 0; i < out; ++i) latency_of_[i]->Observe(seconds);
      if (static_cast<size_t>(n) < kBatch) return;
    }
  }

  // Answers message `i` into reply slot `slot`; returns 1 when there is a reply to send.
  unsigned Answer(size_t i, const reputation::ListingIndex::Snapshot& snapshot, uint32_t now,
                  unsigned slot) {
    const mmsghdr& msg = in_msgs_[i];
    const ServerMetrics& m = context_.metrics;
    if (msg.msg_hdr.msg_flags & MSG_TRUNC) {
      m.dropped->Add();
      return 0;
    }
    const ParseStatus status = ParseQuery(in_[i].data(), msg.msg_len, &query_);
    uint8_t* reply = out_.get() + slot * out_capacity_;
    AnswerInfo info;
    const size_t limit = UdpLimit(query_, context_.zones.options());
    size_t size = BuildAnswer(query_, status, context_.zones, snapshot, Transport::kUdp, limit,
                              reply, out_capacity_, &info);
    if (size != 0 && query_.has_tsig) {
      size = AnswerSigned(context_.tsig.get(), query_, context_.zones.options(), in_[i].data(),
                          msg.msg_len, limit, reply, size, out_capacity_, std::time(nullptr));
    }
    if (size == 0) {
      m.dropped->Add();
      return 0;
    }
    if (context_.rrl) {
      switch (context_.rrl->Check(reinterpret_cast<const sockaddr*>(&peers_[i]), now)) {
        case RateLimiter::Verdict::kAnswer:
          break;
        case RateLimiter::Verdict::kDrop:
          m.rate_limited->Add();
          return 0;
        case RateLimiter::Verdict::kSlip:
          m.rate_limited->Add();
          size = BuildTruncated(query_, context_.zones.options(), reply, out_capacity_);
          if (size == 0) return 0;
          break;
      }
    }
    latency_of_[slot] = m.Count(context_.zones, info).latency;
    out_iov_[slot] = {reply, size};
    msghdr& h = out_msgs_[slot].msg_hdr;
    h = {};
    h.msg_name = &peers_[i];
    h.msg_namelen = msg.msg_hdr.msg_namelen;
    h.msg_iov = &out_iov_[slot];
    h.msg_iovlen = 1;
    return 1;
  }

  void Send(int fd, unsigned count) {
    unsigned sent = 0;
    while (sent < count) {
      const int r = sendmmsg(fd, out_msgs_.data() + sent, count - sent, MSG_DONTWAIT);
      // A full send buffer drops the rest, as UDP would: the clients retry.
      if (r <= 0) {
        context_.metrics.dropped->Add(count - sent);
        return;
      }
      sent += static_cast<unsigned>(r);
    }
  }

  int fd_;
  udp::endpoint local_;
  boost::asio::posix::stream_descriptor poller_;
  ServerContext& context_;
  Query query_;
  std::array<std::array<uint8_t, kMaxQuery>, kBatch> in_;
  std::array<iovec, kBatch> in_iov_{};
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<sockaddr_storage, kBatch> peers_{};
  size_t out_capacity_;
  std::unique_ptr<uint8_t[]> out_;
  std::array<iovec, kBatch> out_iov_{};
  std::array<mmsghdr, kBatch> out_msgs_{};
  std::array<metrics::Histogram*, kBatch> latency_of_{};
};

}  // namespace

absl::StatusOr<std::shared_ptr<UdpListener>> UdpListener::Bind(boost::asio::io_context& io,
                                                               const udp::endpoint& endpoint,
                                                               bool reuse_port,
                                                               ServerContext& context) {
  udp::socket socket(io);
  boost::system::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec && endpoint.address().is_v6()) socket.set_option(boost::asio::ip::v6_only(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) {
    // A receive queue of ~1000 queries absorbs a burst (the default 208 KiB holds ~300)
    // without queueing for long under sustained overload. As root SO_RCVBUFFORCE passes
    // net.core.rmem_max; otherwise the kernel caps the request.
    int bytes = 1 << 20;
    if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
      setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    // Answers go out with DF set and are never fragmented (RFC 9715); they fit anyway, being
    // at most max_udp_payload. PROBE rather than DO: ICMP "fragmentation needed" is ignored,
    // so a forged one cannot shrink what we send. With DF set the kernel also skips choosing
    // an IP ID per packet, a hash and atomic operation on every answer.
    if (endpoint.address().is_v4()) {
      int probe = IP_PMTUDISC_PROBE;
      setsockopt(socket.native_handle(), IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
    } else {
      int probe = IPV6_PMTUDISC_PROBE;
      setsockopt(socket.native_handle(), IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe, sizeof probe);
    }
    socket.bind(endpoint, ec);
  }
  if (!ec) socket.non_blocking(true, ec);
  udp::endpoint local;
  if (!ec) local = socket.local_endpoint(ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("dns listen udp ", endpoint.address().to_string(),
                                               ":", endpoint.port(), ": ", ec.message()));
  }
  const int poller = epoll_create1(EPOLL_CLOEXEC);
  if (poller < 0) return absl::InternalError(absl::StrCat("epoll: ", std::strerror(errno)));
  // The listener watches the socket itself (see Watch), so asio lets go of it.
  const int fd = socket.release(ec);
  if (ec) {
    close(poller);
    return absl::InternalError(absl::StrCat("dns listen udp: ", ec.message()));
  }
  return std::make_shared<UdpListenerImpl>(io, fd, poller, local, context);
}

}  // namespace repd::dnsbl
