"""End credits: find credit sections in a video, read each line once, lay the text out into (role, names),
index one Credit per (role, name) and search them. ``render`` draws credit rolls with ground truth."""
