/*
 * A second socket on a UDP socket's own address that the kernel gives
 * only the datagrams whose first byte says RTP or RTCP (RFC 7983: 128 to
 * 191), so a media leg can read its SRTP without first peeking at every
 * datagram to leave STUN and DTLS to libnice.  Linux only (a reuseport
 * group with a classic BPF selector); elsewhere steer_open() fails and
 * the leg peeks.  One steered socket per owner at a time: close it
 * before opening the next.
 */
#ifndef KB_STEER_H
#define KB_STEER_H

/* steer.c */
int	 steer_open(int);

#endif /* KB_STEER_H */
