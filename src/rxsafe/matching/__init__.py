"""Name resolution: prescription and allergy text to knowledge-base concepts, never a wrong match."""
