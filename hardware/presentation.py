"""What the live camera counts: one scan per presentation of one item.

The camera's decoder (`hardware.decode.FrameDecoder`) runs one step of its ladder a frame, so a code that only some
steps read (a tilted EAN, a low-contrast label) is reported in bursts a ladder cycle apart (`FrameDecoder.cycle`
frames, 17: 0.57 s at 30 fps), with gaps of many frames between them while the item is simply held still. The rules,
counted in frames like the decoder (no clock: a recorded video gives the same scans under any load), follow ZBar's
inter-frame cache (`img_scanner.c`: a symbol is reported once seen again within CACHE_PROXIMITY, 1 s, of the last
sighting, and not again until it has *not* been detected for CACHE_HYSTERESIS, 2 s):

- **confirmed**: reported in `confirm` (2) frames, each within `proximity` (a cycle + 2 frames) of the one before
  (a code only one ladder step reads is confirmed when that step comes round again);
- **in view** until unread for `hysteresis` frames (two cycles, 36 frames: 1.2 s at 30 fps, 2.4 s at 15 fps);
  a code is sent once while it is in view. An identical second unit shown before the first one's code has been
  out of sight that long is not counted: under-counting is the safe side (the packer sees the count not move);
- **one item**: codes in view naming the same item (the GTIN from `app.barcodes.normalise`, else the text) are one
  presentation: the EAN-13 and the GS1 DataMatrix of one pack count once, sent as the code that carries the most
  (the GS1 one: lot, expiry);
- **one item at a time**: while codes of two different items are in view together - both read within the last
  `proximity` frames, with no stretch of EMPTY_FRAMES frames between them in which the pre-check saw nothing
  barcode-like - nothing is sent and `conflict` names them (a unit's EAN beside its case's GS1-128: the camera's
  status says "Two codes in view: show one at a time"). Once one of them has not been read for `proximity` frames,
  the one left is sent if it was not already (the next item shown right after the last one waits for that);
- **nothing else to read**: a confirmed code is sent at once when every barcode-like region the pre-check found in
  the frame lies under a code in view; otherwise only after a whole cycle since its item was first read, so that
  every ladder step has looked for a second code before one is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.barcodes import normalise
from app.scans import RawScan, ScanSource
from hardware.decode import Decoded, under

EMPTY_FRAMES = 3  # frames with nothing barcode-like in view: what was read before is not "in view together" with
# what is read after (it does not make a code count again: only `hysteresis` frames unread do)


def item_key(r: Decoded) -> str:
    """The item a code names: its GTIN-14 (EAN/UPC, GS1 AI 01/02, Digital Link), else its cleaned text."""
    nc = normalise(RawScan(r.text, source=ScanSource.CAMERA, symbology=r.symbology))
    return nc.gtin or nc.code or r.text


def _richness(r: Decoded) -> tuple[bool, int]:
    return r.gs1, len(r.text)


@dataclass
class _Code:
    result: Decoded
    item: str
    first: int
    last: int
    sightings: list[int] = field(default_factory=list)

    @property
    def outline(self):
        return self.result.outline


class Presentations:
    """Feed it each frame's decoded results (and the pre-check regions); it says which codes to send."""

    def __init__(self, cycle: int, confirm: int = 2, proximity: int | None = None,
                 hysteresis: int | None = None) -> None:
        self.cycle = max(1, cycle)
        self.confirm = max(1, confirm)
        self.proximity = proximity if proximity is not None else self.cycle + 2
        self.hysteresis = max(hysteresis if hysteresis is not None else 2 * self.cycle, self.proximity)
        self._codes: dict[tuple[str, str], _Code] = {}
        self._sent: set[str] = set()  # items sent while one of their codes has stayed in view
        self.conflict: tuple[str, ...] = ()  # the texts of two or more items in view at once
        self._empty = 0  # consecutive frames without a pre-check region
        self._cleared = -1  # frame at which the view was last seen empty for EMPTY_FRAMES frames

    def frame(self, n: int, results: list[Decoded], regions=()) -> list[Decoded]:
        """Frame number `n` (increasing), the decoder's results for it and the pre-check's boxes: the codes to send."""
        for r in results:
            key = (r.text, r.format)
            c = self._codes.get(key)
            if c is None:
                c = self._codes[key] = _Code(r, item_key(r), n, n)
            if c.sightings and n - c.sightings[-1] > self.proximity:
                c.sightings = []  # a sighting that long ago confirms nothing
            c.sightings = (c.sightings + [n])[-self.confirm:]
            c.result, c.last = r, n
        self._empty = 0 if regions or results else self._empty + 1
        if self._empty >= EMPTY_FRAMES:
            self._cleared = n
        for key, c in list(self._codes.items()):
            if n - c.last > self.hysteresis:
                del self._codes[key]
        self._sent &= {c.item for c in self._codes.values()}
        items: dict[str, list[_Code]] = {}
        for c in self._codes.values():
            if n - c.last <= self.proximity and c.last > self._cleared:
                items.setdefault(c.item, []).append(c)
        if len(items) > 1:
            self.conflict = tuple(sorted(c.result.text for codes in items.values() for c in codes))
            return []
        self.conflict = ()
        if not items:
            return []
        (item, codes), = items.items()
        confirmed = [c for c in codes if len(c.sightings) >= self.confirm]
        if item in self._sent or not confirmed:
            return []
        alone = all(any(under(b, c.outline) for c in codes) for b in regions)
        if not alone and n - min(c.first for c in codes) < self.cycle:
            return []  # something else barcode-like is in view: let every step look at it first
        self._sent.add(item)
        return [max((c.result for c in confirmed), key=_richness)]
