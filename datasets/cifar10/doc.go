// Package cifar10 loads the CIFAR-10 dataset of Krizhevsky (2009), like
// Keras's keras.datasets.cifar10.load_data: 50,000 training and 10,000
// test colour images of 32×32 pixels in ten classes (see ClassNames),
// channels-last — each image is 32 rows of 32 pixels of red, green and blue
// bytes, Keras's (N, 32, 32, 3).
//
// LoadData reads the "binary version", cifar-10-binary.tar.gz, from
// Options.Dir (the command line's --data flag) alone when it is set, and
// otherwise from the first of these directories that holds it:
//
//  1. the directory named by the environment variable TAILOR_DATA;
//  2. the download cache, Options.CacheDir, by default
//     os.UserCacheDir()/tailor/cifar-10.
//
// If neither does, it downloads the archive into the cache from
// https://www.cs.toronto.edu/~kriz/ (the dataset's home page), unless
// Options.NoDownload is set. The download goes to a temporary file in the
// cache, is checked, synced and renamed: the cache never holds a partial
// or unverified archive.
//
// Every archive, downloaded or found, must have the published size,
// 170,052,171 bytes, and SHA-256
// c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd, the
// checksum TensorFlow Datasets pins for this URL
// (tensorflow_datasets/url_checksums/cifar10.txt); the dataset page
// publishes the MD5, c32a1d4ab5d03f1284b67883e8d87530. A file found of
// another size (an interrupted copy) is refused from its size, unread.
//
// The archive is streamed — hashed, decompressed and untarred in one pass —
// so that LoadData holds the 184 MB of images it returns and little else.
// It must hold data_batch_1.bin to data_batch_5.bin, test_batch.bin (each
// 10,000 records of a label byte and 3,072 pixel bytes, 1,024 per channel)
// and batches.meta.txt naming the classes; sizes, labels and class names
// are checked, and the checksum is compared at the end of the stream,
// before anything is returned.
package cifar10
