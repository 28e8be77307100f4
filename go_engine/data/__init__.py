"""Game records as training data: archives of SGF files and compact move-list datasets."""
