"""The checks: pure functions from the patient context, the resolved lines and the knowledge to conflicts."""
