#!/usr/bin/env python3
"""Writes the seed corpus for Scrim's file-reading fuzz target (Tests/Fuzz) into a folder.

Usage: make_seeds.py OUTPUT_DIR

Valid small RIFF/WAVE, BWF, RF64 and BW64 files in the encodings Scrim reads, some block-coded and companded
headers, a few non-RIFF inputs, and files already damaged in the ways real ones are (cut short, absurd sizes,
duplicated or missing chunks). Every seed is under 4 KiB; the output is the same on every run.
Python 3 standard library only.
"""

import math
import os
import struct
import sys


def chunk(cid, payload, size=None):
    """One RIFF chunk: ID, 32-bit LE size (the payload's unless given) and payload, padded to even length."""
    assert len(cid) == 4
    if size is None:
        size = len(payload)
    out = cid + struct.pack("<I", size) + payload
    if len(payload) % 2:
        out += b"\0"
    return out


def riff(chunks, form=b"RIFF", size=None):
    body = b"WAVE" + b"".join(chunks)
    if size is None:
        size = len(body) if form == b"RIFF" else 0xFFFFFFFF
    return form + struct.pack("<I", size) + body


def fmt_payload(tag, channels, rate, bits, block_align=None, byte_rate=None, extra=None):
    if block_align is None:
        block_align = channels * ((bits + 7) // 8)
    if byte_rate is None:
        byte_rate = (rate * block_align) & 0xFFFFFFFF
    payload = struct.pack("<HHIIHH", tag, channels, rate, byte_rate, block_align, bits)
    if extra is not None:
        payload += struct.pack("<H", len(extra)) + extra
    return payload


PCM_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def extensible_payload(subtag, channels, rate, bits, mask, valid_bits=None, cb_size=22):
    block_align = channels * ((bits + 7) // 8)
    extra = struct.pack("<HI", valid_bits or bits, mask) + struct.pack("<H", subtag) + PCM_GUID_TAIL
    payload = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block_align, block_align, bits)
    return payload + struct.pack("<H", cb_size) + extra


def sine(frames, channels, i_to_value):
    return [[i_to_value(math.sin(2 * math.pi * (i * (c + 1)) / 16)) for c in range(channels)] for i in range(frames)]


def pcm_data(bits, channels, frames):
    out = bytearray()
    for frame in sine(frames, channels, lambda x: x * 0.5):
        for value in frame:
            if bits == 8:
                out += struct.pack("<B", int(128 + value * 127))
            elif bits == 16:
                out += struct.pack("<h", int(value * 32767))
            elif bits == 24:
                out += struct.pack("<i", int(value * 8388607))[:3]
            elif bits == 32:
                out += struct.pack("<i", int(value * 2147483647))
    return bytes(out)


def float_data(bits, channels, frames):
    code = "<f" if bits == 32 else "<d"
    return b"".join(struct.pack(code, v) for frame in sine(frames, channels, lambda x: x * 0.5) for v in frame)


def wav(tag, bits, channels, frames, rate=48000, extra_chunks=(), after=()):
    data = float_data(bits, channels, frames) if tag == 3 else pcm_data(bits, channels, frames)
    return riff([chunk(b"fmt ", fmt_payload(tag, channels, rate, bits)), *extra_chunks, chunk(b"data", data), *after])


def bext_payload(history=b"A=PCM,F=48000,W=16,M=stereo,T=scrim-fuzz\r\n", version=2, time_reference=172800000):
    out = bytearray()
    out += b"Scene 12 take 3".ljust(256, b"\0")
    out += b"Scrim fuzz".ljust(32, b"\0")
    out += b"SCRIMFUZZ0001".ljust(32, b"\0")
    out += b"2024-05-01"
    out += b"10:00:00"
    out += struct.pack("<Q", time_reference)
    out += struct.pack("<H", version)
    out += bytes(range(64))  # UMID
    out += struct.pack("<hhhhh", -2300, 800, -100, -1800, -2000)
    out += bytes(180)  # reserved
    assert len(out) == 602
    return bytes(out) + history


IXML = b"""<?xml version="1.0" encoding="UTF-8"?>
<BWFXML>
  <IXML_VERSION>2.10</IXML_VERSION>
  <PROJECT>Scrim &amp; fuzz</PROJECT>
  <SCENE>12</SCENE><TAKE>3</TAKE><TAPE>D01</TAPE>
  <NOTE><![CDATA[wind <gusts>]]> &#233;&#x263A;</NOTE>
  <CIRCLED>TRUE</CIRCLED>
  <!-- a comment -->
  <SPEED>
    <TIMECODE_RATE>30000/1001</TIMECODE_RATE>
    <TIMECODE_FLAG>DF</TIMECODE_FLAG>
    <FILE_SAMPLE_RATE>48000</FILE_SAMPLE_RATE>
    <TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>0</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>
    <TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>172800000</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>
  </SPEED>
  <TRACK_LIST>
    <TRACK_COUNT>2</TRACK_COUNT>
    <TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX><INTERLEAVE_INDEX>1</INTERLEAVE_INDEX><NAME>Boom</NAME></TRACK>
    <TRACK><CHANNEL_INDEX>2</CHANNEL_INDEX><INTERLEAVE_INDEX>2</INTERLEAVE_INDEX><NAME>Lav</NAME></TRACK>
  </TRACK_LIST>
  <USER><LOCATION attr='x'>Stage 4</LOCATION></USER>
</BWFXML>
\0\0\0\0"""


def ds64_payload(riff_size, data_size, sample_count, table=()):
    out = struct.pack("<QQQI", riff_size, data_size, sample_count, len(table))
    for cid, size in table:
        out += cid + struct.pack("<Q", size)
    return out


def rf64(form, bits, channels, frames, table=(), extra_chunks=(), data_size=None, table_length=None):
    data = pcm_data(bits, channels, frames)
    if data_size is None:
        data_size = len(data)
    ds64 = ds64_payload(0, data_size, data_size // (channels * bits // 8), table)
    if table_length is not None:
        ds64 = ds64[:24] + struct.pack("<I", table_length) + ds64[28:]
    return riff([chunk(b"ds64", ds64), chunk(b"fmt ", fmt_payload(1, channels, 48000, bits)), *extra_chunks,
                 chunk(b"data", data, size=0xFFFFFFFF)], form=form)


def ima_adpcm(channels=1, block_align=256):
    samples_per_block = (block_align - 4 * channels) * 8 // (4 * channels) + 1
    fmt = fmt_payload(0x11, channels, 22050, 4, block_align=block_align,
                      byte_rate=22050 * block_align // samples_per_block, extra=struct.pack("<H", samples_per_block))
    block = bytearray()
    for c in range(channels):
        block += struct.pack("<hBB", 0, 0, 0)
    block += bytes((i * 37) & 0xFF for i in range(block_align - len(block)))
    return riff([chunk(b"fmt ", fmt), chunk(b"fact", struct.pack("<I", samples_per_block)),
                 chunk(b"data", bytes(block) * 2)])


def ms_adpcm():
    coefficients = [(256, 0), (512, -256), (0, 0), (192, 64), (240, 0), (460, -208), (392, -232)]
    block_align, channels = 256, 1
    samples_per_block = (block_align - 7 * channels) * 8 // (4 * channels) + 2
    extra = struct.pack("<HH", samples_per_block, len(coefficients))
    extra += b"".join(struct.pack("<hh", a, b) for a, b in coefficients)
    fmt = fmt_payload(0x02, channels, 22050, 4, block_align=block_align, byte_rate=11155, extra=extra)
    block = struct.pack("<Bhhh", 0, 16, 0, 0)
    block += bytes((i * 53) & 0xFF for i in range(block_align - 7))
    return riff([chunk(b"fmt ", fmt), chunk(b"fact", struct.pack("<I", samples_per_block)), chunk(b"data", block)])


def companded(tag, channels=1, frames=64):
    fmt = fmt_payload(tag, channels, 8000, 8, extra=b"")
    return riff([chunk(b"fmt ", fmt), chunk(b"fact", struct.pack("<I", frames)),
                 chunk(b"data", bytes((i * 29) & 0xFF for i in range(frames * channels)))])


def gsm610():
    fmt = fmt_payload(0x31, 1, 8000, 0, block_align=65, byte_rate=1625, extra=struct.pack("<H", 320))
    return riff([chunk(b"fmt ", fmt), chunk(b"fact", struct.pack("<I", 320)),
                 chunk(b"data", bytes((i * 11) & 0xFF for i in range(65)))])


def aiff():
    frames, channels = 16, 1
    rate = b"\x40\x0e\xbb\x80" + bytes(6)  # 48000 as 80-bit extended
    comm = struct.pack(">hIh", channels, frames, 16) + rate
    ssnd = struct.pack(">II", 0, 0) + b"".join(struct.pack(">h", (i * 997) & 0x7FFF) for i in range(frames))
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    return b"FORM" + struct.pack(">I", len(body)) + body


def seeds():
    s = {}
    # Valid linear PCM and float, mono / stereo / 6 channels.
    s["pcm8_mono"] = wav(1, 8, 1, 32)
    s["pcm16_mono"] = wav(1, 16, 1, 32)
    s["pcm16_stereo"] = wav(1, 16, 2, 32, rate=44100)
    s["pcm24_stereo"] = wav(1, 24, 2, 32)
    s["pcm24_6ch"] = wav(1, 24, 6, 16)
    s["pcm32_6ch"] = wav(1, 32, 6, 16, rate=96000)
    s["float32_stereo"] = wav(3, 32, 2, 32)
    s["float64_mono"] = wav(3, 64, 1, 32)
    s["float32_6ch"] = wav(3, 32, 6, 8)
    # WAVE_FORMAT_EXTENSIBLE.
    s["ext_pcm24_6ch_mask3f"] = riff([chunk(b"fmt ", extensible_payload(1, 6, 48000, 24, 0x3F)),
                                      chunk(b"data", pcm_data(24, 6, 8))])
    s["ext_float32_stereo"] = riff([chunk(b"fmt ", extensible_payload(3, 2, 48000, 32, 0x3)),
                                    chunk(b"data", float_data(32, 2, 16))])
    s["ext_pcm16_mono_valid12"] = riff([chunk(b"fmt ", extensible_payload(1, 1, 48000, 16, 0x4, valid_bits=12)),
                                        chunk(b"data", pcm_data(16, 1, 16))])
    s["ext_pcm32_mask0"] = riff([chunk(b"fmt ", extensible_payload(1, 2, 48000, 32, 0)),
                                 chunk(b"data", pcm_data(32, 2, 8))])
    # BWF: bext and iXML before data; iXML after data; LIST/INFO; cue.
    s["bwf_bext_ixml"] = wav(1, 16, 2, 16, extra_chunks=[chunk(b"bext", bext_payload()), chunk(b"iXML", IXML)])
    s["bwf_bext_v0_odd_history"] = wav(1, 24, 1, 8, extra_chunks=[chunk(b"bext", bext_payload(b"A=PCM\r\nX", 0))])
    s["bwf_bext_fixed_only"] = wav(1, 16, 1, 8, extra_chunks=[chunk(b"bext", bext_payload(b""))])
    s["bwf_ixml_after_data"] = wav(1, 16, 2, 8, after=[chunk(b"iXML", IXML)])
    info = b"INFO" + chunk(b"INAM", b"Take 3\0") + chunk(b"ISFT", b"scrim\0")
    cue = struct.pack("<I", 1) + struct.pack("<II4sIII", 1, 0, b"data", 0, 0, 4)
    s["list_info_cue_after_data"] = wav(1, 16, 1, 16, extra_chunks=[chunk(b"cue ", cue)], after=[chunk(b"LIST", info)])
    # RF64 / BW64 with ds64 (and a table entry for an oversized-marked chunk).
    s["rf64_pcm24_stereo"] = rf64(b"RF64", 24, 2, 16)
    s["bw64_pcm16_mono"] = rf64(b"BW64", 16, 1, 32)
    s["rf64_table_junk"] = rf64(b"RF64", 16, 1, 8, table=[(b"junk", 6)],
                                extra_chunks=[chunk(b"junk", b"abcdef", size=0xFFFFFFFF)])
    s["bw64_bext_ixml"] = rf64(b"BW64", 16, 2, 8, extra_chunks=[chunk(b"bext", bext_payload()), chunk(b"iXML", IXML)])
    # Odd sizes and pad bytes; chunks after data.
    s["odd_chunk_pad"] = wav(1, 16, 1, 8, extra_chunks=[chunk(b"junk", b"abc"), chunk(b"odd ", b"x")])
    s["odd_data_pad_then_chunk"] = wav(1, 8, 1, 7, after=[chunk(b"LIST", b"INFO"), chunk(b"tail", b"12345")])
    s["trailing_garbage_after_data"] = wav(1, 16, 1, 8) + b"\x00\x01\xff\xfe garbage"
    s["rf64_odd_chunk"] = rf64(b"RF64", 8, 1, 9, extra_chunks=[chunk(b"junk", b"abc")])
    # Block-coded and companded encodings.
    s["ima_adpcm_mono"] = ima_adpcm(1, 256)
    s["ima_adpcm_stereo"] = ima_adpcm(2, 512)
    s["ms_adpcm_mono"] = ms_adpcm()
    s["mulaw_mono"] = companded(7)
    s["alaw_stereo"] = companded(6, channels=2, frames=32)
    s["gsm610"] = gsm610()
    s["mpeg_tag"] = riff([chunk(b"fmt ", fmt_payload(0x55, 2, 44100, 0, block_align=1, extra=bytes(12))),
                          chunk(b"data", b"\xff\xfb\x90\x00" + bytes(60))])
    # Non-RIFF inputs (libsndfile's own detection; the metadata parsers get raw bytes).
    s["aiff_pcm16"] = aiff()
    s["raw_ixml"] = IXML
    s["raw_bext"] = bext_payload()
    s["raw_xml_not_ixml"] = b"<?xml version='1.0'?><root><a>1</a><b/></root>"
    s["raw_xml_deep"] = b"<BWFXML>" + b"<A>" * 40 + b"x" + b"</A>" * 40 + b"</BWFXML>"

    # Malformed ones.
    good = s["pcm16_stereo"]
    s["bad_riff_only"] = b"RIFF"
    s["bad_header_12"] = good[:12]
    s["bad_header_cut_in_fmt"] = good[:30]
    s["bad_cut_in_data_header"] = good[:40]
    s["bad_truncated_data"] = good[:-20]
    s["bad_riff_size_wrong"] = b"RIFF" + struct.pack("<I", 4) + good[8:]
    s["bad_not_wave"] = b"RIFF" + good[4:8] + b"AVI " + good[12:]
    s["bad_no_fmt"] = riff([chunk(b"data", pcm_data(16, 1, 8))])
    s["bad_no_data"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16))])
    s["bad_data_before_fmt"] = riff([chunk(b"data", pcm_data(16, 1, 8)), chunk(b"fmt ", fmt_payload(1, 1, 48000, 16))])
    s["bad_two_data"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"data", pcm_data(16, 1, 8)),
                              chunk(b"data", pcm_data(16, 1, 4))])
    s["bad_empty_data"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"data", b"")])
    s["bad_empty_data_then_bytes"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"data", b"")]) + bytes(64)
    s["bad_blockalign0"] = riff([chunk(b"fmt ", fmt_payload(1, 2, 48000, 16, block_align=0)),
                                 chunk(b"data", pcm_data(16, 2, 8))])
    s["bad_blockalign_mismatch"] = riff([chunk(b"fmt ", fmt_payload(1, 2, 48000, 16, block_align=3)),
                                         chunk(b"data", pcm_data(16, 2, 8))])
    s["bad_bits0"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 0, block_align=2)), chunk(b"data", bytes(16))])
    s["bad_bits_odd_12"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 12)), chunk(b"data", bytes(16))])
    s["bad_bits_huge"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 0xFFFF, block_align=2)), chunk(b"data", bytes(16))])
    s["bad_rate0"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 0, 16)), chunk(b"data", bytes(16))])
    s["bad_rate_huge"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 0xFFFFFFFF, 16)), chunk(b"data", bytes(16))])
    s["bad_channels0"] = riff([chunk(b"fmt ", fmt_payload(1, 0, 48000, 16, block_align=2)), chunk(b"data", bytes(16))])
    s["bad_channels_1024"] = riff([chunk(b"fmt ", fmt_payload(1, 1024, 48000, 8)), chunk(b"data", bytes(2048))])
    s["bad_channels_65535"] = riff([chunk(b"fmt ", fmt_payload(1, 65535, 48000, 8, block_align=65535)),
                                    chunk(b"data", bytes(16))])
    s["bad_fmt_short"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)[:14]), chunk(b"data", bytes(16))])
    s["bad_ext_short"] = riff([chunk(b"fmt ", extensible_payload(1, 2, 48000, 16, 3)[:30]), chunk(b"data", bytes(16))])
    s["bad_ext_cbsize_lies"] = riff([chunk(b"fmt ", extensible_payload(1, 2, 48000, 16, 3, cb_size=200)),
                                     chunk(b"data", bytes(16))])
    s["bad_ext_unknown_guid"] = riff([chunk(b"fmt ", extensible_payload(0x1234, 2, 48000, 16, 3)),
                                      chunk(b"data", bytes(16))])
    s["bad_huge_chunk"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"LIST", b"INFO", size=0x7FFFFFFF),
                                chunk(b"data", bytes(16))])
    s["bad_chunk_over_64mib"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)),
                                      chunk(b"junk", b"", size=(64 << 20) + 1)])
    s["bad_chunk_ffffffff"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"junk", b"ab", size=0xFFFFFFFF)])
    s["bad_data_size_huge"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16))]) + b"data" + struct.pack(
        "<I", 0xFFFFFFF0) + bytes(32)
    s["bad_chunk_id_binary"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"\x00\x01\xfe\xff", b"xx"),
                                     chunk(b"data", bytes(16))])
    s["bad_trailing_partial_header"] = wav(1, 16, 1, 8) + b"LIS"
    s["bad_chunk_cut_after_data"] = wav(1, 16, 1, 8) + b"LIST" + struct.pack("<I", 100) + b"INFO"
    s["bad_ds64_data_max"] = rf64(b"RF64", 16, 2, 8, data_size=0xFFFFFFFFFFFFFFFF)
    s["bad_ds64_data_2p63"] = rf64(b"BW64", 8, 1, 8, data_size=1 << 63)
    s["bad_ds64_data_odd_big"] = rf64(b"RF64", 24, 1, 8, data_size=(1 << 40) + 1)
    s["bad_ds64_table_length_huge"] = rf64(b"RF64", 16, 1, 8, table_length=0xFFFFFFFF)
    s["bad_ds64_table_entry_huge"] = rf64(b"RF64", 16, 1, 8, table=[(b"junk", 0xFFFFFFFFFFFFFFFF)],
                                          extra_chunks=[chunk(b"junk", b"abcd", size=0xFFFFFFFF)])
    s["bad_ds64_unlisted_ffffffff"] = rf64(b"RF64", 16, 1, 8, extra_chunks=[chunk(b"junk", b"abcd", size=0xFFFFFFFF)])
    s["bad_ds64_short"] = riff([chunk(b"ds64", bytes(20)), chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)),
                                chunk(b"data", bytes(16))], form=b"RF64")
    s["bad_rf64_no_ds64"] = riff([chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)), chunk(b"data", bytes(16))], form=b"RF64")
    s["bad_ds64_in_riff"] = riff([chunk(b"ds64", ds64_payload(0, 1 << 40, 0)), chunk(b"fmt ", fmt_payload(1, 1, 48000, 16)),
                                  chunk(b"data", bytes(16))])
    s["bad_ds64_data_zero"] = rf64(b"RF64", 16, 1, 8, data_size=0)
    s["bad_ima_blockalign_small"] = riff([chunk(b"fmt ", fmt_payload(0x11, 1, 22050, 4, block_align=1,
                                                                     extra=struct.pack("<H", 1))),
                                          chunk(b"data", bytes(16))])
    s["bad_ima_truncated_block"] = ima_adpcm(1, 256)[:200]
    s["bad_bext_short"] = wav(1, 16, 1, 8, extra_chunks=[chunk(b"bext", bext_payload()[:601])])
    s["bad_ixml_unclosed"] = wav(1, 16, 1, 8, extra_chunks=[chunk(b"iXML", IXML[:300])])
    s["bad_ixml_entities"] = wav(1, 16, 1, 8, extra_chunks=[chunk(
        b"iXML", b"<BWFXML><NOTE>&#xFFFFFFFF;&#0;&#xD800;&bogus;&#99999999999999999999;</NOTE></BWFXML>")])
    s["bad_ixml_utf16_bom"] = wav(1, 16, 1, 8, extra_chunks=[chunk(b"iXML", b"\xff\xfe" + "<BWFXML><TAKE>1</TAKE>"
                                                                                       "</BWFXML>".encode("utf-16-le"))])
    s["bad_ixml_timestamp_huge"] = wav(1, 16, 1, 8, extra_chunks=[chunk(
        b"iXML", b"<BWFXML><SPEED><TIMECODE_RATE>1000000000/1</TIMECODE_RATE>"
                 b"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>4294967295</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>"
                 b"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>4294967295</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>"
                 b"</SPEED></BWFXML>")])
    return s


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py OUTPUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        assert len(data) < 4096, (name, len(data))
        with open(os.path.join(out, "seed_" + name + ".wav"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
