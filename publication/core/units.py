"""Units, named once: every length in the program is in one of these.

PDF user space is in points (72 per inch), CSS and WeasyPrint's boxes are in CSS pixels
(96 per inch), the content and the page geometry are in millimetres.
"""

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
PX_PER_INCH = 96.0

PT_PER_MM = PT_PER_INCH / MM_PER_INCH
"""PDF points in a millimetre."""
PX_PER_MM = PX_PER_INCH / MM_PER_INCH
"""CSS pixels in a millimetre."""
PX_PER_PT = PX_PER_INCH / PT_PER_INCH
"""CSS pixels in a PDF point."""


def mm_to_pt(mm: float) -> float:
    return mm * PT_PER_MM


def pixels_for(mm: float, ppi: float) -> float:
    """How many image pixels cover `mm` at `ppi` pixels per inch."""
    return mm / MM_PER_INCH * ppi
