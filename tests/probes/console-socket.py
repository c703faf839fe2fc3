#!/usr/bin/env python3
# A console socket as containerd's shim and conmon hold one: listen on PATH,
# take one terminal master sent with SCM_RIGHTS, print the message that came
# with it, then everything the container writes to its terminal (CR LF as
# LF) until the last holder of the other end closes it.
import array
import os
import socket
import sys

path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(array.array("i").itemsize))
fds = array.array("i")
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
if len(fds) != 1:
    sys.exit("console-socket: no terminal received")
print(msg.decode())
out = b""
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:  # EIO: the other end is closed
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
