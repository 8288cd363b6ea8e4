#!/usr/bin/env python3
"""Captures real frames from the Linux kernel for tsuki/tcpip's tests (run as root, in a fresh netns):

    ip netns add tsk-tcpip-cap && ip netns exec tsk-tcpip-cap python3 capture.py && ip netns del tsk-tcpip-cap

It makes a TAP (no vnet header, no offloads: the kernel completes every checksum), gives Linux
10.9.0.1/24 on it, plays a guest at 10.9.0.2 (MAC 02:00:00:00:00:02) by writing frames into the
TAP, and writes what Linux sends back, one frame per .hex file in this folder. The frames we write
are kept too (prefix "guest-"): Linux answering them shows they are well-formed.
"""
import fcntl, os, select, socket, struct, subprocess, time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_MAC = bytes([2, 0, 0, 0, 0, 2])
GUEST_IP, LINUX_IP = socket.inet_aton("10.9.0.2"), socket.inet_aton("10.9.0.1")

tap = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", b"tsktap0", IFF_TAP | IFF_NO_PI))
subprocess.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=0; ip addr add 10.9.0.1/24 dev tsktap0 && ip link set tsktap0 up && ip link set lo up", shell=True, check=True)
LINUX_MAC = bytes.fromhex(open("/sys/class/net/tsktap0/address").read().strip().replace(":", ""))

def csum(data):
    if len(data) % 2: data += b"\0"
    s = sum(struct.unpack(f"!{len(data)//2}H", data))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ipv4(proto, payload, src=GUEST_IP, dst=LINUX_IP, ident=0x1234, flags_frag=0, total=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), ident, flags_frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

def eth(payload, type_=0x0800, dst=None):
    return (dst or LINUX_MAC) + GUEST_MAC + struct.pack("!H", type_) + payload

def pseudo(proto, seg, src=GUEST_IP, dst=LINUX_IP):
    return src + dst + struct.pack("!BBH", 0, proto, len(seg))

def udp(sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(17, seg) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]

def tcp_syn(sport, dport, seq=1000):
    opts = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0])  # MSS 1460, NOP, WS 7, SACK-permitted, EOL padding
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
    c = csum(pseudo(6, seg) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]

def icmp_echo(ident, seq, data):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]

def save(name, frame, note):
    with open(os.path.join(HERE, name + ".hex"), "w") as f:
        f.write(f"# {note}\n")
        for i in range(0, len(frame), 16): f.write(frame[i:i + 16].hex(" ") + "\n")

def read_frames(seconds=0.5):
    out, end = [], time.time() + seconds
    while (left := end - time.time()) > 0:
        r, _, _ = select.select([tap], [], [], left)
        if r: out.append(os.read(tap, 65536))
    return out

def ethertype(f): return struct.unpack("!H", f[12:14])[0]
def ipproto(f): return f[23] if ethertype(f) == 0x0800 else None

frames = read_frames(1.0)
v6 = [f for f in frames if ethertype(f) == 0x86DD]
if v6: save("linux-ipv6", v6[0], "Linux: an IPv6 frame sent when the TAP came up (router solicitation / MLD): not for us")

# 1. Linux resolves us: its ARP request, then our reply, then its UDP datagram.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.9.0.1", 40000))
s.sendto(b"hello from linux", ("10.9.0.2", 5000))
frames = read_frames()
req = next(f for f in frames if ethertype(f) == 0x0806)
save("linux-arp-request", req, "Linux: ARP who-has 10.9.0.2 tell 10.9.0.1 (broadcast)")
reply = eth(struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, GUEST_MAC, GUEST_IP, LINUX_MAC, LINUX_IP), 0x0806)
save("guest-arp-reply", reply, "guest: ARP reply 10.9.0.2 is-at 02:00:00:00:00:02")
os.write(tap, reply)
frames = read_frames()
save("linux-udp", next(f for f in frames if ipproto(f) == 17), "Linux: UDP 10.9.0.1:40000 -> 10.9.0.2:5000 'hello from linux'")

# 2. Linux pings us (small, then fragmented).
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
m = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + bytes(range(56))
r.sendto(m[:2] + struct.pack("!H", csum(m)) + m[4:], ("10.9.0.2", 0))
save("linux-icmp-echo-request", next(f for f in read_frames() if ipproto(f) == 1), "Linux: ICMP echo request 10.9.0.1 -> 10.9.0.2, id 0x4242 seq 1, 56 bytes")
m = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 2) + bytes(i & 255 for i in range(3000))
r.sendto(m[:2] + struct.pack("!H", csum(m)) + m[4:], ("10.9.0.2", 0))
for i, f in enumerate([f for f in read_frames() if ipproto(f) == 1]):
    save(f"linux-icmp-echo-request-fragment{i}", f, f"Linux: fragment {i} of a 3008-byte ICMP echo request (id 0x4242 seq 2)")

# 3. Linux opens TCP to us: its SYN.
t = socket.socket(); t.setblocking(False)
try: t.connect(("10.9.0.2", 80))
except BlockingIOError: pass
save("linux-tcp-syn", next(f for f in read_frames() if ipproto(f) == 6), "Linux: TCP SYN 10.9.0.1 -> 10.9.0.2:80 with MSS, SACK-permitted, timestamps, window scale")
t.close()

# 4. We ping Linux: its reply, small and fragmented.
f = eth(ipv4(1, icmp_echo(7, 1, b"tsuki ping 0123456789abcdef")))
save("guest-icmp-echo-request", f, "guest: ICMP echo request 10.9.0.2 -> 10.9.0.1, id 7 seq 1")
os.write(tap, f)
save("linux-icmp-echo-reply", next(f for f in read_frames() if ipproto(f) == 1), "Linux: ICMP echo reply 10.9.0.1 -> 10.9.0.2, id 7 seq 1")
big = icmp_echo(7, 2, bytes(i & 255 for i in range(2000)))
os.write(tap, eth(ipv4(1, big[:1480], ident=0x2222, flags_frag=0x2000, total=1500)))
os.write(tap, eth(ipv4(1, big[1480:], ident=0x2222, flags_frag=185)))
for i, f in enumerate([f for f in read_frames() if ipproto(f) == 1]):
    save(f"linux-icmp-echo-reply-fragment{i}", f, f"Linux: fragment {i} of the echo reply to a 2008-byte echo request (id 7 seq 2)")

# 5. UDP to a closed port: Linux's port unreachable.
f = eth(ipv4(17, udp(5555, 9, b"anyone there?")))
save("guest-udp", f, "guest: UDP 10.9.0.2:5555 -> 10.9.0.1:9 'anyone there?'")
os.write(tap, f)
save("linux-icmp-port-unreachable", next(f for f in read_frames() if ipproto(f) == 1), "Linux: ICMP port unreachable quoting guest-udp")

# 6. TCP SYN to a closed port (RST) and to a listening one (SYN-ACK).
f = eth(ipv4(6, tcp_syn(33333, 81)))
os.write(tap, f)
save("linux-tcp-rst", next(f for f in read_frames() if ipproto(f) == 6), "Linux: TCP RST+ACK from 10.9.0.1:81 to a SYN from 10.9.0.2:33333")
l = socket.socket(); l.bind(("10.9.0.1", 8080)); l.listen()
f = eth(ipv4(6, tcp_syn(33334, 8080)))
save("guest-tcp-syn", f, "guest: TCP SYN 10.9.0.2:33334 -> 10.9.0.1:8080, MSS 1460, WS 7, SACK-permitted")
os.write(tap, f)
save("linux-tcp-syn-ack", next(f for f in read_frames() if ipproto(f) == 6), "Linux: TCP SYN-ACK 10.9.0.1:8080 -> 10.9.0.2:33334")

# 7. We ask for Linux's MAC: its ARP reply. And a gratuitous ARP of ours.
f = eth(struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, GUEST_MAC, GUEST_IP, bytes(6), LINUX_IP), 0x0806, dst=b"\xff" * 6)
save("guest-arp-request", f, "guest: ARP who-has 10.9.0.1 tell 10.9.0.2 (broadcast)")
subprocess.run("ip neigh flush dev tsktap0", shell=True)
os.write(tap, f)
save("linux-arp-reply", next(f for f in read_frames() if ethertype(f) == 0x0806), "Linux: ARP reply 10.9.0.1 is-at its MAC")
save("guest-arp-announcement", eth(struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, GUEST_MAC, GUEST_IP, bytes(6), GUEST_IP), 0x0806, dst=b"\xff" * 6), "guest: gratuitous ARP (RFC 5227 announcement) for 10.9.0.2")
print("linux mac", LINUX_MAC.hex(":"))
