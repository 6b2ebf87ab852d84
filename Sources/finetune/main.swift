print("finetune")
