// A UDP echo server for the publish tests (busybox's nc here has no -u):
// binds 0.0.0.0:PORT, sends each datagram back to its sender prefixed
// with "echo:", until killed. Built static into a copy of the test rootfs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: udp-echo PORT\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("udp-echo: bind");
    return 1;
  }
  for (;;) {
    char buf[1500] = "echo:";
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf + 5, sizeof buf - 5, 0, (struct sockaddr*)&from, &len);
    if (n < 0) {
      perror("udp-echo: recvfrom");
      return 1;
    }
    if (sendto(s, buf, (size_t)n + 5, 0, (struct sockaddr*)&from, len) < 0) perror("udp-echo: sendto");
  }
}
