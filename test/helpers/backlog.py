# A TCP listener whose accept queue is full and never drained: a connect to it hangs (the kernel drops
# the SYNs), which is how an upstream that cannot take connections looks. Prints its port, then waits.
import socket
import sys
import time

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(0)
port = server.getsockname()[1]
fillers = []
for _ in range(4):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fillers.append(s)
print(port, flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 60)
