"""rxsafe: a clinical medication safety checker for Vietnam."""

__version__ = "0.1.0"
