/*
 * G.711 A-law and mu-law (ITU-T G.711) sample conversion, and a tone
 * generator and detector (Goertzel) so tests and the emulator can check
 * that audio, not just bytes, made it through.
 */
#ifndef KB_G711_H
#define KB_G711_H

#include <stddef.h>
#include <stdint.h>

/* g711.c */
uint8_t	 g711_alaw_encode(int16_t);
int16_t	 g711_alaw_decode(uint8_t);
uint8_t	 g711_ulaw_encode(int16_t);
int16_t	 g711_ulaw_decode(uint8_t);
void	 tone_fill(int16_t *, size_t, double, double, uint32_t, uint64_t);
double	 tone_power(const int16_t *, size_t, double, uint32_t);
double	 tone_energy(const int16_t *, size_t);

#endif /* KB_G711_H */
