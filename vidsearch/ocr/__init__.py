"""Reading text in video frames: text heatmaps (``heatmap.TextDetector``: PP-OCR DB, EAST), the heatmap cropper,
preprocessing, and OCR engines behind one protocol (``engine.OcrEngine``: batched Tesseract, CLOVA OCR)."""
