module github.com/tailor-ml/tailor

go 1.26
