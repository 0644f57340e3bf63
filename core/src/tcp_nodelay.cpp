// Paho C 1.3.12 never sets TCP_NODELAY, so Nagle's algorithm meets delayed ACKs and every QoS 1
// hop can stall 40-90 ms. Paho offers no socket hook, so this object file defines connect() in
// each executable: the dynamic linker resolves Paho's (and rabbitmq-c's, libcurl's) calls to it,
// and it turns Nagle off on every TCP socket before connecting through libc's own connect().
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

extern "C" int connect(int fd, const struct sockaddr* address, socklen_t length) {
  using ConnectFn = int (*)(int, const struct sockaddr*, socklen_t);
  static const auto real_connect = reinterpret_cast<ConnectFn>(dlsym(RTLD_NEXT, "connect"));
  if (address != nullptr && (address->sa_family == AF_INET || address->sa_family == AF_INET6)) {
    int type = 0;
    socklen_t type_len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  }
  return real_connect(fd, address, length);
}
