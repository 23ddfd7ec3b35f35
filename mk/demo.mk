# The demo image.  Placeholder until images are built from compartments.
$(BUILD)/images/demo.json:
	@mkdir -p $(@D)
	echo '{"placeholder": true}' > $@
