// Package fashionmnist loads Zalando's Fashion-MNIST dataset, like Keras's
// keras.datasets.fashion_mnist.load_data: 60,000 training and 10,000 test
// grayscale 28x28 images of clothing in ten classes (see ClassNames).
//
// LoadData reads the four IDX files, plain or gzip-compressed, from
// Options.Dir (the command line's --data flag) when it is set, and fails
// naming the missing files when that directory lacks any. Otherwise it
// looks in these directories, in order, and uses the first that holds all
// four:
//
//  1. the directory named by the environment variable TAILOR_DATA;
//  2. the download cache, Options.CacheDir, by default
//     os.UserCacheDir()/tailor/fashion-mnist;
//  3. /usr/share/datasets/fashion-mnist, where the Debian package
//     dataset-fashion-mnist installs them.
//
// If none does, LoadData downloads the missing files into the cache from
// the mirrors Keras and Zalando publish, unless Options.NoDownload is set.
// Each file's header is checked against a 64 MiB cap, and against the
// file's size, before its payload is read.
//
// Every file is checked against the SHA-256 of the published data, computed
// over the decompressed bytes so any compression will do, whether it was
// downloaded or found on disk. Hashing the 55 MB costs about 0.03 s on CPUs
// with SHA instructions (some 0.15 s without), next to the 0.3 s it takes to
// decompress the training images; in exchange LoadData cannot be fooled by a
// corrupt file or by MNIST digits, whose files have the same names, shapes
// and label range.
package fashionmnist
