// Package preprocessing turns raw data into model inputs that look like
// the training data: image files, as keras.utils.load_img and img_to_array
// do (with the extra step that photographs of clothes need to resemble
// Fashion-MNIST), and tables, as scikit-learn's preprocessing does —
// StandardScaler, LabelEncoder and OneHotEncoder, TrainTestSplit, and
// Pipeline, the fitted transformation of a table's columns that a model
// file keeps so that new rows are prepared exactly as the training rows
// were.
//
// LoadImage decodes a PNG or JPEG and then:
//
//  1. converts it to grayscale (ITU-R 601 luma, transparency composited
//     over white);
//  2. pads it to a square with the colour of its border, so the article
//     keeps its proportions;
//  3. resizes it to 28×28 by area averaging: each output pixel is the mean
//     of the input pixels it covers, which neither aliases when shrinking
//     nor invents detail when enlarging;
//  4. matches Fashion-MNIST's polarity, a light article on a black
//     background: with InvertAuto (the default) the image is inverted when
//     its border is lighter than its centre, as for a photograph on a white
//     table; InvertAlways and InvertNever override the guess;
//  5. rounds to bytes and scales by 1/255, exactly as the training images
//     were, so pixel values lie in [0, 1].
//
// Image files are treated as hostile: the header's dimensions and the
// memory the decoder would need are checked against MaxSide, MaxPixels and
// MaxDecodedBytes before anything is decoded, and the steps above stream
// over the decoded image a row at a time, so that they take memory
// proportional to its longer side, never a padded copy of it.
package preprocessing
