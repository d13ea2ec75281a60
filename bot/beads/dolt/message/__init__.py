"""Message layer: Dolt's flatbuffer messages (STRT, ADRM, DCMT, RTVL, DTBL, DSCH, TUPM, BLOB)."""
