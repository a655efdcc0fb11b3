"""Data sets on disk: the --preprocess recipe, labels (CSV, folders, COCO) and sample checks (app.model)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from app.common.errors import UserError
from app.model.dataset import InputSlot, check_sample, load_sample, open_dataset
from app.model.preprocess import BadSample, load_image, parse_recipe

IMAGENET = "resize=4,crop=2,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=NCHW,color=RGB,scale=1/255"


def test_recipe_values_by_hand(tmp_path):
    # 8x4 image, one colour: resize the shorter side to 4 -> 8x4 stays; crop 2 -> the centre 2x2
    Image.new("RGB", (8, 4), (255, 128, 0)).save(tmp_path / "a.png")
    array, geo = load_image(tmp_path / "a.png", parse_recipe(IMAGENET))
    assert array.shape == (1, 3, 2, 2) and array.dtype == np.float32
    expected = [(1 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (0 - 0.406) / 0.225]
    assert array[0, :, 0, 0] == pytest.approx(expected, rel=1e-5)
    assert (geo.left, geo.top) == (3, 1)
    # a box in the crop's pixels maps back to the original's
    assert geo.to_original(np.array([[0, 0, 2, 2]])).tolist() == [[3, 1, 5, 3]]


def test_resize_keeps_aspect_and_nhwc_bgr(tmp_path):
    img = np.zeros((10, 20, 3), np.uint8)
    img[..., 0] = 200  # red
    Image.fromarray(img).save(tmp_path / "a.png")
    array, geo = load_image(tmp_path / "a.png", parse_recipe("resize=5,layout=NHWC,color=BGR,dtype=uint8"))
    assert array.shape == (1, 5, 10, 3) and array.dtype == np.uint8
    assert array[0, 0, 0].tolist() == [0, 0, 200]  # red is last in BGR
    assert (geo.sx, geo.sy) == (0.5, 0.5)


@pytest.mark.parametrize("text, part", [("resize=big", "resize=big"), ("mean=1/2", "mean=1/2"),
                                        ("std=0", "std"), ("layout=CHW", "layout=CHW"), ("gamma=2", "gamma=2")])
def test_bad_recipe_names_the_part(text, part):
    with pytest.raises(UserError, match=f"--preprocess {part}"):
        parse_recipe(text)


def test_image_smaller_than_crop_is_a_bad_sample(tmp_path):
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    with pytest.raises(BadSample, match="smaller than crop=8x8"):
        load_image(tmp_path / "a.png", parse_recipe("crop=8,color=L"))


def test_csv_labels_with_and_without_header(tmp_path):
    for i in range(3):
        np.save(tmp_path / f"{i}.npy", np.zeros((2,), np.float32))
    (tmp_path / "l.csv").write_text("0.npy,2\n1.npy,1;3\n")
    ds = open_dataset(str(tmp_path), labels=str(tmp_path / "l.csv"))
    assert [(s.file, s.label) for s in ds.samples] == [("0.npy", 2), ("1.npy", [1, 3])]
    assert ds.skipped == [("2.npy", "no label in l.csv")]
    (tmp_path / "bad.csv").write_text("file,label\n0.npy,cat\n")
    with pytest.raises(UserError, match="row 1: label 'cat' is not a class number"):
        open_dataset(str(tmp_path), labels=str(tmp_path / "bad.csv"))


def test_coco_category_ids_become_contiguous_classes(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    coco = {"images": [{"id": 5, "file_name": "a.png"}], "categories": [{"id": 90, "name": "z"}, {"id": 1, "name": "a"}],
            "annotations": [{"image_id": 5, "bbox": [1, 2, 3, 4], "category_id": 90}]}
    (tmp_path / "c.json").write_text(json.dumps(coco))
    ds = open_dataset(str(tmp_path), labels=str(tmp_path / "c.json"), recipe=parse_recipe("color=RGB"), detection=True)
    boxes, classes = ds.samples[0].label
    assert ds.class_names == ["a", "z"] and classes.tolist() == [1] and boxes.tolist() == [[1, 2, 4, 6]]
    (tmp_path / "c.json").write_text("{}")
    with pytest.raises(UserError, match="not COCO JSON"):
        open_dataset(str(tmp_path), labels=str(tmp_path / "c.json"), recipe=parse_recipe("color=RGB"), detection=True)


def test_sample_checks_shape_dtype_and_npz_keys(tmp_path):
    slot = InputSlot("x", np.dtype(np.float32), [None, 3])
    np.save(tmp_path / "ok.npy", np.arange(3, dtype=np.float64))  # no batch axis, float64: cast, batch added
    np.save(tmp_path / "int.npy", np.arange(3, dtype=np.int64))
    np.savez(tmp_path / "z.npz", y=np.zeros(3, np.float32), w=np.zeros(3, np.float32))
    np.savez(tmp_path / "one.npz", y=np.ones(3, np.float32))  # a single array feeds a single input, any key
    np.savez(tmp_path / "wide.npz", x=np.ones((1, 4), np.float32))  # the header's shape is checked
    ds = open_dataset(str(tmp_path), labelled=False)
    refs = {s.file: s for s in ds.samples}
    feeds, _ = load_sample(ds, refs["ok.npy"], [slot])
    assert feeds["x"].shape == (1, 3) and feeds["x"].dtype == np.float32
    with pytest.raises(BadSample, match="dtype int64 where the model wants float32"):
        check_sample(ds, refs["int.npy"], [slot])
    with pytest.raises(BadSample, match="no array named 'x'"):
        check_sample(ds, refs["z.npz"], [slot])
    check_sample(ds, refs["one.npz"], [slot])
    assert load_sample(ds, refs["one.npz"], [slot])[0]["x"].tolist() == [[1.0, 1.0, 1.0]]
    with pytest.raises(BadSample, match=r"shape 1x4 does not fit the model's \?x3"):
        check_sample(ds, refs["wide.npz"], [slot])


def test_mixed_folder_is_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(1))
    Image.new("L", (2, 2)).save(tmp_path / "b.png")
    with pytest.raises(UserError, match="both arrays"):
        open_dataset(str(tmp_path), labelled=False)
