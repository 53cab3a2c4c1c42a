module djangobolt

go 1.26
